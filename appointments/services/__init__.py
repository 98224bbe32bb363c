"""What changes appointments, each in one transaction:

- calendar: the free times of a service, and holding, booking, confirming, moving and
  cancelling an appointment (`SlotTaken` when another booking won the time);
- clinic_file: the clinic file's providers, closures and booking rules;
- reminders: the reminders an appointment schedules, moved and cancelled with it.
"""
