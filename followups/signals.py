"""What the follow-ups app tells other apps, without knowing them.

`followups_sent(followups=[FollowUp, ...])` is sent by the dispatcher after it recorded a batch's
sends, with the follow-ups that went out: appointments listens, so that the patient's yes or no
to a reminder is read as the answer to it.
"""

from django.dispatch import Signal

followups_sent = Signal()
