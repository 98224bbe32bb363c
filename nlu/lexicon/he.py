"""Hebrew: what patients type, by intent (data only; compiled by lexicon/__init__.py).

Matched after the light prefix/suffix stripping of text.stem, so "לביטול" finds "ביטול".
"""

STRONG = {
    "greeting": (
        "שלום",
        "היי",
        "הי",
        "אהלן",
        "בוקר טוב",
        "צהריים טובים",
        "ערב טוב",
        "שלום רב",
        "מה נשמע",
    ),
    "price_query": (
        "כמה עולה",
        "כמה עולים",
        "כמה עולות",
        "כמה זה עולה",
        "עולה",
        "עולים",
        "עולות",
        "מחיר",
        "מחירים",
        "מחירון",
        "עלות",
        "תעריף",
    ),
    "confirm": (
        "כן",
        "מאשר",
        "מאשרת",
        "מאושר",
        "אגיע",
        "נגיע",
        "אני אגיע",
        "בטח",
        "ברור",
        "סגור",
        "בהחלט",
        "נתראה",
    ),
    "decline": (
        # "8am is too early for me": the offered time does not suit
        "מוקדם מדי",
        "מאוחר מדי",
        "לא",
        "לא אוכל",
        "לא אגיע",
        "לא יכול",
        "לא יכולה",
        "לא מסתדר",
        "לא תודה",
        "לא אצליח",
        "לא מתאים",
        "לא מתאימה",
        "לא מתאים לי",
        "לא נוח",
        "לא נוחה",
        "לא מסתדרת",
        "לא יסתדר",
        "לא הולך",
    ),
    "cancel": ("בטלו", "תבטלי", "לבטל", "תבטלו", "תבטל", "ביטול", "מבטל", "מבטלת"),
    "reschedule": (
        "להזיז",
        "תזיזו",
        "לדחות",
        "לשנות ... תור",
        "לשנות ... מועד",
        "מועד אחר",
        "יום אחר",
        "שעה אחרת",
        "להקדים",
        "לקבוע מחדש",
    ),
    "opt_out": (
        "תפסיקו",
        "להפסיק",
        "הסר",
        "הסירו",
        "הסרה",
        "לא רוצה לקבל",
        "אל תשלחו",
        "ספאם",
        "הוציאו אותי",
    ),
    "opt_in": (
        "לקבל שוב",
        "חידוש הרשמה",
        "הרשמה",
        "להירשם",
        "לחדש",
        "תחזירו אותי",
    ),
    "human": (
        # asking to be called back is asking for a person
        "תתקשרו",
        "תתקשרו אליי",
        "תתקשרו אלי",
        "תחזרו אליי",
        "תחזרו אלי",
        "להתקשר אליי",
        "נציג",
        "נציגה",
        "בן אדם",
        "אדם אמיתי",
        "מזכירה",
        "מזכירות",
        "דלפק הקבלה",
        "לדבר עם",
        "תעבירו אותי",
        "שיחזרו אליי",
        "שמישהו יתקשר",
    ),
    "clinic_info": (
        "איפה אתם",
        "איפה אתם נמצאים",
        "איפה המרפאה",
        "כתובת",
        "הכתובת",
        "איך מגיעים",
        "שעות פתיחה",
        "שעות הפתיחה",
        "עד מתי",
        "מתי אתם פתוחים",
        "טלפון",
        "מספר טלפון",
        "חניה",
    ),
    "thanks": (
        "תודה",
        "תודה רבה",
        "תודות",
        "מודה",
        "מעריך",
        "מעריכה",
        # "תודה שוב על התזכורת" thanks; it does not ask for reminders again
        "תודה שוב",
        "שוב תודה",
    ),
    "appointments": (
        "מתי התור שלי",
        "מתי יש לי תור",
        "התורים שלי",
        "באיזו שעה התור שלי",
        "יש לי תור",
    ),
}

# What the clinic sends, and the phrases that switch it on or off (lexicon/__init__.py fills in
# every noun): "תחזירו לי את התזכורות", "תפעילו שוב את ההתראות", "תכבו את ההודעות".
MESSAGE_NOUNS = ("תזכורות", "תזכורת", "הודעות", "התראות", "התראה", "עדכונים", "סמסים")
OPT_IN_TEMPLATES = (
    "שוב ... {noun}",
    "{noun} ... שוב",
    "לחזור ... {noun}",
    "תחזרו ... {noun}",
    "תחזירו ... {noun}",
    "להחזיר ... {noun}",
    "תפעילו ... {noun}",
    "להפעיל ... {noun}",
    "תדליקו ... {noun}",
    "לחדש ... {noun}",
)
OPT_OUT_TEMPLATES = (
    "תכבו ... {noun}",
    "לכבות ... {noun}",
    "תבטלו ... {noun}",
    "להסיר ... {noun}",
    "בלי {noun}",
    "די עם ... {noun}",
)
STANDALONE = {"עצור": "opt_out"}

WEAK = {
    "confirm": ("בסדר", "אוקיי", "אוקי", "אחלה", "מעולה", "מצוין", "הבנתי", "סבבה", "טוב"),
    "price_query": ("כמה", "בחינם", "חינם", "בתשלום"),
    # The hours only alone or with a day or time ("אתם פתוחים בשישי?").
    "clinic_info": ("פתוחים", "אתם עובדים"),
}

BLOCK = (
    "כואב",
    "כואבת",
    "כואבים",
    "כאב",
    "כאבים",
    "נפיחות",
    "נפוח",
    "נפוחה",
    "מדמם",
    "מדממות",
    "מדממים",
    "דם",
    "חום",
    "דלקת",
    "רגישות",
    "ביטוח",
    "ביטוח שיניים",
    "קופת חולים",
    "מכבי",
    "כללית",
    "מאוחדת",
    "לאומית",
    "תשלומים",
    "כמה זמן",
    "כמה שעות",
    "כמה ימים",
    # how often or how many visits: a question about the treatment, not its price
    "כמה פעמים",
    "כל כמה זמן",
    "כמה טיפולים",
    "כמה ביקורים",
    "אחרי כמה",
    "לאכול",
    "לשתות",
    "לעשן",
    "בטוח",
    "הריון",
    "בהריון",
    "מניקה",
    "הרדמה",
    "מה לעשות",
    "למה",
    "ההבדל",
    "הבדל",
    "אחריות",
    "אלרגיה",
    "אנטיביוטיקה",
    "זז",
    "נשבר",
    "נשברה",
    "נפלה",
    "חניכיים",
    "שווה",
    "ממליצים",
    "מחזיקה",
    "מחזיק",
    # pain and emergencies in other words
    "חירום",
    "פועם",
    "פועמת",
    "מוגלה",
    "מורסה",
    "אבצס",
    "בלתי נסבל",
    "התנפח",
    "התנפחה",
    "דימום",
    # complaints: the LLM lane (and a person) answer them, whoever they name
    "תלונה",
    "להתלונן",
    "מאוכזב",
    "מאוכזבת",
    "אכזבה",
    "גס רוח",
    "גסת רוח",
    "חצוף",
    "חצופה",
    "זלזול",
    "מזלזל",
    "מזלזלים",
    "נורא",
    "נוראי",
    "איום",
    "מחפיר",
    "בושה",
    "לא מקצועי",
    "חיכיתי",
    "חיכינו",
    # a charge already made: the patient's account, not the price list
    "החזר כספי",
)

# A charge already made (a bill, a refund, "I was charged twice") is about the patient's account,
# not the price list; stems would merge the past with the present ("cobraron"/"cobran"), so
# these are word beginnings.
BLOCK_PREFIXES = (*("שילמתי", "חייבו", "חויבתי", "חשבונית"),)

# Who treats, and whom: the LLM lane unless plainly a price question about a listed service.
SOFT_BLOCK = ("מטפלים", "ילדים", "ילד", "ילדה", "רופא", "רופאה", "עובדים עם")

# Children, by the words a parent uses ("my 6yo", "para mi hijo"): a price question about
# a child, where the clinic lists a service for children, is not answered with the adult one.
CHILDREN = """
ילד ילדה ילדים ילדות תינוק תינוקת הבן הבת
""".split()

BOOKING = ("לקבוע תור", "לקבוע", "תור פנוי", "תורים פנויים", "יש תור", "להזמין תור")

# Whether a procedure may or should be done: with a service, a dental word or a condition, a
# question for the LLM lane ("אפשר להלבין שיניים אם יש לי כתרים?").
ASKS_WHETHER = (
    "אפשר",
    "האם אפשר",
    "מותר",
    "האם מותר",
    "כדאי",
    "עדיף",
    "בטוח",
    "אני יכול",
    "אני יכולה",
    "זה בסדר",
)
# A conditional clause ("אם יש לי כתרים").
CONDITIONS = ("אם", "ואם", "במקרה")
ALTERNATIVES = ("או", "עם")

STOPWORDS = """
של את על עם או גם אני אתה את אתם אתן הוא היא הם לי לך לו לה לנו לכם זה זאת זו מה
אפשר רוצה רוצים צריך צריכה בבקשה יש אצלכם אצל מתי כמה בערך מישהו קצת עוד לקבל
תשלחו שלחו הטיפול טיפול שירות הזה הזו הזאת סליחה מצטער מצטערת לצערי
""".split()

MARKERS = ()

TIME_WORDS = """
היום מחר עכשיו ראשון שני שלישי רביעי חמישי שישי שבת סופש חג חגים בבוקר בערב שבוע
הבא הבאה חודש
""".split()

NEGATIONS = ("לא", "אל")

# Things at the clinic that are not services: a price question about one is not about a
# service ("how much is the parking?").
AMENITIES = ("חניה", "חנייה", "חניון", "ויפי", "קפה")

# A number word before an hours word makes a duration ("כמה שעות"), not the opening hours.
QUANTITY_WORDS = ("כמה", "שתי", "שלוש", "ארבע", "חמש", "שש", "24")

# "Move it to ...": a reschedule only with a day or a time ("אפשר להעביר ליום חמישי?").
RESCHEDULE_TO = ("להעביר", "תעבירו את התור", "להעביר את התור")

HOUR_SUFFIXES = {"בבוקר": 0, "בצהריים": 12, "אחר הצהריים": 12, 'אחה"צ': 12, "בערב": 12, "בלילה": 12}
HOUR_PREPOSITIONS = ("ב", "ל", "בשעה", "עד")

REPLIES = {
    "greeting": "שלום! איך אפשר לעזור? נשמח לתת מחירים, לקבוע תור או לענות על שאלות 😊",
    "thanks": "בשמחה! אנחנו כאן לכל שאלה 😊",
    "confirm": "תודה! אם תרצו לקבוע, להזיז או לבטל תור, כתבו לי מה ומתי.",
    "decline": "הבנו. אם תרצו מועד אחר, כתבו לנו ונמצא זמן שנוח לכם.",
    "opt_out": "בוצע, לא נשלח לכם יותר הודעות. אם תתחרטו, שלחו START.",
    "opt_in": "ברוכים השבים! תקבלו שוב תזכורות לתורים.",
    "human": "בטח, העברנו לצוות הקבלה; נציג יענה לכם כאן בקרוב.",
    "handoff": "תודה על ההודעה! נציג יחזור אליכם בקרוב.",
    "text_required": "סליחה, כרגע אנחנו לא יכולים לשמוע הקלטות או לראות תמונות כאן. אפשר "
    "לכתוב לנו? נענה מיד.",
    "price_line": "{name}: {price}",
    "price_offer": "רוצים לקבוע תור? נמצא זמן שנוח לכם.",
    "price_list_intro": "השירותים והמחירים העיקריים שלנו:",
    "price_list_more": "ועוד, רק תשאלו!",
    "unknown_service": "מצטערים, השירות הזה לא מופיע במחירון שלנו.",
    "unknown_closest": "אולי זה מה שאתם מחפשים:",
    "unknown_none": "זה מה שאנחנו מציעים:",
    "offer_person": "אם תרצו, נציג ייצור קשר ויסביר הכול.",
    "address": "כתובת: {address}",
    "phone": "טלפון: {phone}",
    "hours_title": "שעות פתיחה (שעון {city}):",
    "closed": "סגור",
}
