"""English: what patients type, by intent (data only; compiled by lexicon/__init__.py)."""

STRONG = {
    "greeting": (
        "hi",
        "hello",
        "hey",
        "hiya",
        "good morning",
        "good afternoon",
        "good evening",
        "greetings",
        "howdy",
        "hey there",
    ),
    "price_query": (
        "how much",
        "price",
        "prices",
        "pricing",
        "cost",
        "costs",
        "charge",
        "fee",
        "fees",
        "rate",
        "rates",
        "price list",
        "pricelist",
    ),
    "confirm": (
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "confirm",
        "confirmed",
        "i confirm",
        "i'll be there",
        "ill be there",
        "will be there",
        "see you",
        "see you then",
        "works",
        "that works",
        "definitely",
        "of course",
        "absolutely",
        "i'll come",
        "i will come",
    ),
    "decline": (
        # "8am is too early for me": the offered time does not suit
        "too early",
        "too late",
        "no",
        "nope",
        "nah",
        "can't make it",
        "cant make it",
        "cannot make it",
        "can't come",
        "cant come",
        "cannot come",
        "won't make it",
        "wont make it",
        "won't come",
        "wont come",
        "not coming",
        "unable to come",
        "no thanks",
        "no thank you",
        # "that doesn't work for me" ("works" alone confirms)
        "doesn't work",
        "doesnt work",
        "does not work",
        "won't work",
        "wont work",
        "will not work",
        "doesn't suit",
        "doesnt suit",
        "does not suit",
        "not good for me",
        "no good for me",
        "not convenient",
    ),
    "cancel": ("cancel", "cancelling", "canceling", "cancellation", "call off"),
    "reschedule": (
        "push ... appointment",
        "bump ... appointment",
        "shift ... appointment",
        "reschedule",
        "rescheduling",
        "move ... appointment",
        "move ... visit",
        "move it",
        "change ... time",
        "change ... date",
        "change ... appointment",
        "another time",
        "another day",
        "different time",
        "different day",
        "postpone",
        "push it",
        "instead",
    ),
    "opt_out": (
        "stop texting",
        "stop messaging",
        "stop sending",
        "stop writing",
        "unsubscribe",
        "opt out",
        "remove me",
        "remove my number",
        "don't text",
        "dont text",
        "don't message",
        "dont message",
        "spam",
    ),
    "opt_in": (
        "start",
        "subscribe",
        "resubscribe",
        "opt in",
        "subscribe me",
        "start again",
        "receive messages again",
    ),
    "human": (
        # asking to be called back is asking for a person
        "call me back",
        "give me a call",
        "ring me",
        "phone me",
        "callback",
        "real person",
        "a person",
        "human",
        "receptionist",
        "front desk",
        "operator",
        "talk to",
        "speak to",
        "speak with",
        "talk with",
        "call me",
    ),
    "clinic_info": (
        "where are you",
        "where is the clinic",
        "where is your",
        "located",
        "location",
        "address",
        "directions",
        "how do i get",
        "opening hours",
        "open hours",
        "hours",
        "when do you open",
        "when do you close",
        "what time do you",
        "working hours",
        "phone number",
        "your phone",
        "your number",
        "close today",
        "open today",
        "parking",
    ),
    "thanks": (
        "thanks",
        "thank you",
        "thank u",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "appreciate it",
        "much appreciated",
        # "thanks again for the reminder" thanks; it does not ask for reminders again
        "thanks again",
        "thank you again",
    ),
    "appointments": (
        "when is my appointment",
        "what time is my appointment",
        "do i have an appointment",
        "my appointments",
        "when am i booked",
        "is my appointment",
    ),
}

# What the clinic sends, and the phrases that switch it on or off (lexicon/__init__.py fills in
# every noun): "turn notifications back on", "please disable the text alerts".
MESSAGE_NOUNS = (
    "reminders",
    "messages",
    "texts",
    "notifications",
    "notifs",
    "alerts",
    "sms",
)
OPT_IN_TEMPLATES = (
    "{noun} ... again",
    "again ... {noun}",
    "turn ... {noun} back on",
    "turn ... {noun} on",
    "turn on ... {noun}",
    "switch ... {noun} back on",
    "switch on ... {noun}",
    "{noun} back on",
    "enable ... {noun}",
    "re-enable ... {noun}",
    "reactivate ... {noun}",
    "activate ... {noun}",
    "resume ... {noun}",
    "restart ... {noun}",
)
OPT_OUT_TEMPLATES = (
    "turn off ... {noun}",
    "turn ... {noun} off",
    "switch off ... {noun}",
    "switch ... {noun} off",
    "disable ... {noun}",
    "deactivate ... {noun}",
    "mute ... {noun}",
    "no more {noun}",
    "don't want ... {noun}",
    "dont want ... {noun}",
    "do not want ... {noun}",
    "don't need ... {noun}",
    "dont need ... {noun}",
    "don't send {noun}",
    "dont send {noun}",
    "don't send me {noun}",
    "dont send me {noun}",
)
# Carrier opt-out keywords, only as the whole message ("END" inside a sentence is a word).
STANDALONE = {"stopall": "opt_out", "end": "opt_out", "quit": "opt_out", "unstop": "opt_in"}

WEAK = {
    "confirm": (
        "ok",
        "okay",
        "alright",
        "all right",
        "fine",
        "great",
        "perfect",
        "cool",
        "good",
        "got it",
        "noted",
        "sounds good",
    ),
    "reschedule": ("earlier", "later"),
    # "is the consultation free?": the price, when nothing else is left unexplained
    "price_query": ("free", "free of charge"),
    "human": ("someone", "somebody", "staff", "agent", "manager"),
    # The hours only alone or with a day or time ("are you open on sunday?"), not "are you open
    # to ..." (router: weak cues need every other word explained).
    "clinic_info": ("are you open", "open on", "do you work"),
}

BLOCK = (
    "hurt",
    "hurts",
    "hurting",
    "pain",
    "painful",
    "ache",
    "aching",
    "sore",
    "swelling",
    "swollen",
    "bleed",
    "bleeding",
    "blood",
    "fever",
    "infection",
    "inflamed",
    "sensitive",
    "sensitivity",
    "insurance",
    "insured",
    "coverage",
    "covered",
    "installments",
    "instalments",
    "payment plan",
    "finance",
    "financing",
    "credit",
    "how long",
    "how much time",
    "how much later",
    "how much longer",
    "how soon",
    "how many hours",
    "how many days",
    # how often or how many visits: a question about the treatment, not its price
    "how many times",
    "how often",
    "how many visits",
    "how many sessions",
    "eat",
    "drink",
    "smoke",
    "chew",
    "is it safe",
    "safe",
    "pregnant",
    "pregnancy",
    "breastfeeding",
    "anesthesia",
    "anaesthesia",
    "numb",
    "sedation",
    "what should i do",
    "why",
    "difference",
    "different from",
    "guarantee",
    "warranty",
    "allergic",
    "allergy",
    "antibiotics",
    "loose",
    "broke",
    "broken",
    "chipped",
    "cracked",
    "gums",
    "worth it",
    "recommend",
    "not sure",
    # pain and emergencies in other words
    "toothache",
    "toothaches",
    "emergency",
    "emergencies",
    "throbbing",
    "abscess",
    "pus",
    "unbearable",
    "agony",
    "killing me",
    "swelled",
    "swelled up",
    "knocked out",
    # something broken to report ("the link isn't working"); "that doesn't work for me" declines
    "not working",
    "isn't working",
    "aren't working",
    "don't work",
    "dont work",
    "do not work",
    "fell out",
    "fell off",
    "came off",
    "came out",
    # complaints: the LLM lane (and a person) answer them, whoever they name
    "complaint",
    "complain",
    "complaining",
    "disappointed",
    "disappointing",
    "rude",
    "unprofessional",
    "unacceptable",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "ridiculous",
    "frustrated",
    "frustrating",
    "upset",
    "angry",
    "refund",
    "kept me waiting",
    "waited ... minutes",
    "waited ... min",
    "waited ... mins",
    "waited ... hour",
    "waiting ... minutes",
    "waiting for ... hour",
    # a charge already made: the patient's account, not the price list
    "already paid",
    "i paid",
    "we paid",
)

# A charge already made (a bill, a refund, "I was charged twice") is about the patient's account,
# not the price list; stems would merge the past with the present ("cobraron"/"cobran"), so
# these are word beginnings.
BLOCK_PREFIXES = (*("charged", "overcharg", "billed", "billing", "invoice", "receipt"),)

# Who treats, and whom: the LLM lane unless plainly a price question about a listed service
# ("how much is a checkup with the doctor?").
SOFT_BLOCK = (
    "treat",
    "treatment",
    "children",
    "kids",
    "child",
    "kid",
    "doctor",
    "doctors",
    "dentists",
    "work with",
)

# Children, by the words a parent uses ("my 6yo", "para mi hijo"): a price question about
# a child, where the clinic lists a service for children, is not answered with the adult one.
CHILDREN = """
child children kid kids son daughter toddler baby pediatric paediatric yo
""".split()

BOOKING = (
    "book",
    "booking",
    "book an appointment",
    "make an appointment",
    "schedule",
    "schedule an appointment",
    "available",
    "availability",
    "free slot",
    "slots",
    "any openings",
    "i'd like to come",
    "can i come",
)

# Whether a procedure may or should be done: with a service, a dental word or a condition, a
# question for the LLM lane ("Can I whiten my teeth if I have crowns?", "do I need a crown?").
ASKS_WHETHER = (
    "can i",
    "can we",
    "can you",
    "could i",
    "could you",
    "may i",
    "should i",
    "shall i",
    "do i need",
    "do i have to",
    "is it ok",
    "is it okay",
    "is it alright",
    "is it fine",
    "is it possible",
    "is it bad",
    "is it normal",
    "is it better",
    "is ... ok",
    "is ... okay",
    "is ... possible",
    "is ... better",
    "better",
    "worse",
)
# A conditional clause: a service named in it is a circumstance, not what is asked about.
CONDITIONS = ("if", "in case", "unless", "provided")
# Two services side by side: "crown or filling?", "whitening with crowns?".
ALTERNATIVES = ("or", "with", "vs", "versus")

STOPWORDS = """
a an the of for to at in on and or but is are was be it its it's this that these those
i i'm im me my mine we us our you your yours u ur do does did can could would will
please pls plz just also what what's whats which how much many about approximately
roughly for get getting have having need want wanted like would like know tell let
there here with from by some any one per each service services teeth tooth much r
sorry unfortunately afraid late possible possibly first initial
""".split()

MARKERS = """
the is are what how much yes no thanks thank you hello hi please where my i appointment
""".split()

TIME_WORDS = """
today tomorrow tonight now weekend weekends holiday holidays mornings evenings weekdays
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays next week weeks month
""".split()

NEGATIONS = ("not", "don't", "dont", "never", "no")

# Things at the clinic that are not services: a price question about one is not about a
# service ("how much is the parking?").
AMENITIES = ("parking", "wifi", "wi-fi", "coffee", "valet", "garage")

# A number word before an hours word makes a duration ("for 6 hours", "a few hours"), not the
# opening hours.
QUANTITY_WORDS = """
few couple several two three four five six seven eight nine ten twelve 24 48 many
""".split()

# "Move it to ...": a reschedule only with a day or a time ("can we move to friday?").
RESCHEDULE_TO = (
    "move to",
    "move it to",
    "move me to",
    "push to",
    "push it to",
    "bump to",
    "bump it to",
    "bump me to",
    "switch to",
    "change it to",
    "change to",
)

ABBREVIATIONS = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "appt": "appointment",
    "thnx": "thanks",
    "cuz": "because",
    "bc": "because",
    "b4": "before",
}

HOUR_SUFFIXES = {
    "am": 0,
    "a.m": 0,
    "morning": 0,
    "pm": 12,
    "p.m": 12,
    "evening": 12,
    "afternoon": 12,
    "tonight": 12,
}
HOUR_PREPOSITIONS = ("at", "to", "for", "by", "around")

REPLIES = {
    "greeting": "Hi there! How can we help? We can share prices, book you in or answer a "
    "question 😊",
    "thanks": "You're welcome! Message us anytime 😊",
    "confirm": "Thank you! If you'd like to book, move or cancel a visit, just tell me what "
    "and when.",
    "decline": "No problem. If you'd like another time, just message us and we'll find one "
    "that suits you.",
    "opt_out": "Done, we won't message you anymore. If you change your mind, just send START.",
    "opt_in": "Welcome back! You'll get appointment reminders from us again.",
    "human": "Sure, we've passed this on to the front desk; a colleague will reply here shortly.",
    "too_many_questions": "Thanks for your messages! I need a moment to catch up: please ask me "
    "again in a minute.",
    "handoff": "Thanks for your message! A colleague will reply to you shortly.",
    "text_required": "Sorry, we can't play voice messages or read images here yet. Could you "
    "type your message? We'll reply right away.",
    "price_line": "{name}: {price}",
    "price_offer": "Would you like to book? We'll find a time that suits you.",
    "price_list_intro": "Our main services and prices:",
    "price_list_more": "…and more, just ask!",
    "unknown_service": "Sorry, that exact service isn't on our price list.",
    "unknown_closest": "Perhaps one of these is what you need:",
    "unknown_none": "Here's what we offer:",
    "offer_person": "Or, if you like, a colleague can get in touch and tell you more.",
    "address": "Address: {address}",
    "phone": "Phone: {phone}",
    "hours_title": "Opening hours ({city} time):",
    "closed": "closed",
}
