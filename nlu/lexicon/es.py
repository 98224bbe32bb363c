"""Spanish: what patients type, by intent (data only; compiled by lexicon/__init__.py).

Written without accents: the text is folded before matching, so "cuánto" and "cuanto" agree.
"""

STRONG = {
    "greeting": (
        "hola",
        "holaa",
        "buenas",
        "buenos dias",
        "buen dia",
        "buenas tardes",
        "buenas noches",
        "saludos",
        "que tal",
        # typed as said: "wenas", "holi" ("ola k tal": see STOPWORDS)
        "wenas",
        "wena",
        "guenas",
        "holi",
        "holis",
        "que onda",
        "que hubo",
    ),
    "price_query": (
        "cuanto cuesta",
        "cuanto cuestan",
        "cuanto vale",
        "cuanto valen",
        "cuanto sale",
        "cuanto salen",
        "cuanto es",
        "cuanto seria",
        "costaria",
        "costarian",
        "saldria",
        "cuanto ... cobran",
        "cuanto ... cobra",
        "cuanto ... cobrarian",
        "cuanto ... cobraria",
        # "es caro el implante?", "uff carísimo... y la limpieza?": whether it is expensive
        "caro",
        "cara",
        "caros",
        "caras",
        "carisimo",
        "carisima",
        "barato",
        "barata",
        "cuesta",
        "cuestan",
        "precio",
        "precios",
        "coste",
        "costo",
        "costos",
        "tarifa",
        "tarifas",
        "lista de precios",
        "valor",
    ),
    "confirm": (
        "si",
        "sip",
        "confirmo",
        "confirmado",
        "confirmada",
        "alli estare",
        "ahi estare",
        "alla estare",
        "nos vemos",
        "claro",
        "por supuesto",
        "de acuerdo",
        "ire",
        "voy",
        "asistire",
        "me va bien",
    ),
    "decline": (
        # "8am is too early for me": the offered time does not suit
        "muy temprano",
        "demasiado temprano",
        "muy tarde",
        "demasiado tarde",
        "no",
        "no puedo",
        "no podre",
        "no voy",
        "no ire",
        "no llego",
        "no me va bien",
        "no hace falta",
        "no, gracias",
        "imposible",
        "no me viene bien",
        "no me sirve",
        "no me queda bien",
        "no me conviene",
        "no me cuadra",
        "no me funciona",
        "no me interesa",
        "ya no me interesa",
        "no quiero ir",
        "no voy a ir",
        "no voy a poder",
    ),
    "cancel": (
        "cancelar",
        "cancela",
        "cancele",
        "cancelen",
        "cancelo",
        "cancelacion",
        "anular",
        "anula",
        "anulen",
        "anulo",
        # "bórrenme la cita", "quítenme el turno"
        "borrar ... cita",
        "borrar ... turno",
        "eliminar ... cita",
        "eliminar ... turno",
        "quitar ... cita",
        "quitar ... turno",
    ),
    "reschedule": (
        "cambiar ... cita",
        "cambiar ... hora",
        "cambiar ... dia",
        "cambiar ... turno",
        "cambio de cita",
        "mover ... cita",
        "mover ... turno",
        "reprogramar",
        "reprograma",
        "aplazar",
        "posponer",
        "otro dia",
        "otra hora",
        "otro horario",
        "pasar ... cita",
        # "la podemos pasar al lunes?": the visit, by its pronoun
        "la podemos pasar",
        "la pueden pasar",
        "me la pueden pasar",
        "me la pasan",
        "lo podemos pasar",
        "lo pueden pasar",
        "la podemos mover",
        "la pueden mover",
        "la podemos cambiar",
        "la pueden cambiar",
        "adelantar",
        "atrasar",
        "retrasar",
    ),
    "opt_out": (
        "no me escriban",
        "no me escribas",
        "no escriban",
        "no quiero recibir",
        "darme de baja",
        "dar de baja",
        "de baja",
        "dejen de escribir",
        "dejen de enviar",
        "dejar de recibir",
        "spam",
        "borren mi numero",
        "no me manden mas",
        "no me envien mas",
        "no manden mas",
        "no envien mas",
    ),
    "opt_in": (
        "suscribirme",
        "suscribir",
        "alta",
        "darme de alta",
        "volver a recibir",
        "reactivar",
    ),
    "human": (
        # asking to be called back is asking for a person
        "me pueden llamar",
        "me puede llamar",
        "pueden llamarme",
        "me llaman",
        "me llamen",
        "llamame",
        "llameme",
        "devolver la llamada",
        "una persona",
        "persona real",
        "humano",
        "alguien",
        "recepcion",
        "recepcionista",
        "operador",
        "agente",
        "encargado",
        "hablar con",
        "pasame con",
        "paseme con",
        "llamenme",
        "me pasas con",
        "me pasan con",
        "me pasa con",
        "alguien de verdad",
        "persona de verdad",
        "no quiero hablar con ... maquina",
        "no quiero hablar con ... bot",
    ),
    "clinic_info": (
        "donde estan",
        "donde queda",
        "donde se encuentran",
        "ubicados",
        "ubicacion",
        "direccion",
        "como llego",
        "como llegar",
        "horario",
        "horarios",
        "a que hora abren",
        "a que hora cierran",
        "que hora abren",
        "que hora cierran",
        "telefono",
        "numero de telefono",
        "hasta que hora",
        "hasta que horas",
    ),
    "thanks": (
        "gracias",
        "muchas gracias",
        "mil gracias",
        "se agradece",
        "agradecido",
        "agradecida",
        # "gracias de nuevo por el recordatorio" thanks; it does not ask for reminders again
        "gracias de nuevo",
        "gracias otra vez",
        "gracias nuevamente",
        # an acknowledgement: "entiendo", "ya entiendo"
        "entiendo",
        "ya entiendo",
    ),
    "appointments": (
        "cuándo es mi cita",
        "a qué hora es mi cita",
        "mis citas",
        "tengo cita",
        "para cuándo tengo cita",
        "cuándo tengo cita",
        # "a q hora era mi cita?", "cuándo tengo la cita?", "tengo turno reservado?"
        "cuando ... mi cita",
        "cuando tengo ... cita",
        "cuando era ... cita",
        "hora ... mi cita",
        "cuando ... mi turno",
        "hora ... mi turno",
        "tengo turno",
        "tengo un turno",
        "tengo una cita",
        "tengo turno reservado",
        "tengo un turno reservado",
        "tengo cita reservada",
        "tengo una cita reservada",
        "mis turnos",
        "mi proxima cita",
        "mi proximo turno",
    ),
}

# What the clinic sends, and the phrases that switch it on or off (lexicon/__init__.py fills in
# every noun): "activen de nuevo las notificaciones", "no me manden más mensajes".
MESSAGE_NOUNS = (
    "recordatorios",
    "mensajes",
    "avisos",
    "notificaciones",
    "alertas",
    "sms",
    "promociones",
    "promos",
    "publicidad",
    "ofertas",
)
OPT_IN_TEMPLATES = (
    "volver a ... {noun}",
    "vuelvan a ... {noun}",
    "de nuevo ... {noun}",
    "otra vez ... {noun}",
    "nuevamente ... {noun}",
    "{noun} ... de nuevo",
    "{noun} ... otra vez",
    "{noun} ... nuevamente",
    "activen ... {noun}",
    "activar ... {noun}",
    "active ... {noun}",
    "reactiven ... {noun}",
    "enciendan ... {noun}",
)
OPT_OUT_TEMPLATES = (
    "no me manden ... {noun}",
    "no me envien ... {noun}",
    "no manden ... {noun}",
    "no envien ... {noun}",
    "no quiero mas {noun}",
    "no mas {noun}",
    "basta de {noun}",
    "desactiven ... {noun}",
    "desactivar ... {noun}",
    "desactive ... {noun}",
    "apaguen ... {noun}",
    "quiten ... {noun}",
)
# Opt-out keywords only as the whole message: "baja" also means low ("el precio más bajo").
STANDALONE = {"baja": "opt_out"}

WEAK = {
    "confirm": (
        "vale",
        "bueno",
        "perfecto",
        "genial",
        "listo",
        "entendido",
        "okey",
        "dale",
        "bien",
    ),
    "price_query": ("cuanto", "cuantos", "gratis", "gratuita", "gratuito"),
    # The hours only alone or with a day or time ("abren el sabado?"), not "trabajan con ...".
    # "¿atienden los sábados?" asks the hours; "¿atienden niños?" is left to the children words
    "clinic_info": ("abren", "cierran", "estan abiertos", "trabajan", "atienden", "atienden hoy"),
}

BLOCK = (
    "duele",
    "dolor",
    "doloroso",
    "molesta",
    "molestia",
    "hinchado",
    "hinchada",
    "inflamada",
    "inflamado",
    "inflamacion",
    "sangra",
    "sangrado",
    "sangre",
    "fiebre",
    "infeccion",
    "sensibilidad",
    "sensible",
    "sensibles",
    # not understanding the answer is no "no": it needs explaining
    "no entiendo",
    "no lo entiendo",
    "no comprendo",
    # fear of the dentist
    "miedo",
    "panico",
    # conditions a treatment must take into account
    "diabetes",
    "diabetico",
    "diabetica",
    "hipertension",
    "presion alta",
    "anticoagulantes",
    "marcapasos",
    "es verdad que",
    "es cierto que",
    # the cancellation policy, not a cancellation: "si cancelo con menos de 24 horas me cobran?"
    "multa",
    "penalizacion",
    "penalidad",
    "recargo",
    "cobran algo",
    "con antelacion",
    "con anticipacion",
    "menos de 24",
    "politica de cancelacion",
    "sin avisar",
    "seguro",
    "seguros",
    "aseguradora",
    "mutua",
    "plazos",
    "financiar",
    "financiacion",
    "cuotas",
    "cuanto dura",
    "cuanto tiempo",
    # how often or how many visits: a question about the treatment, not its price
    "cuantas veces",
    "cada cuanto",
    "cuantas sesiones",
    "cuantas visitas",
    "cuantas horas",
    "cuantos dias",
    "cuanto hay que esperar",
    "despues de cuanto",
    # after-care ("comer" alone would stem like "como")
    "puedo comer",
    "puede comer",
    "se puede comer",
    "sin comer",
    "beber",
    "fumar",
    "masticar",
    "es seguro",
    "embarazada",
    "embarazo",
    "lactancia",
    "anestesia",
    "que hago",
    "que debo hacer",
    "por que",
    "diferencia",
    "garantia",
    "alergia",
    "antibiotico",
    "se mueve",
    "roto",
    "rota",
    "cayo",
    "encia",
    "encias",
    "grave",
    "vale la pena",
    "recomiendan",
    # pain and emergencies in other words
    "urgencia",
    "urgencias",
    "emergencia",
    "punzante",
    "absceso",
    "pus",
    "insoportable",
    "hinchazon",
    "se me hincho",
    "flemon",
    # complaints: the LLM lane (and a person) answer them, whoever they name
    "queja",
    "quejarme",
    "reclamacion",
    "reclamo",
    "decepcionado",
    "decepcionada",
    "grosero",
    "grosera",
    "maleducado",
    "maleducada",
    "mal educado",
    "pesimo",
    "pesima",
    "horrible",
    "fatal",
    "inaceptable",
    "falta de respeto",
    "verguenza",
    "enojado",
    "enojada",
    "enfadado",
    "enfadada",
    "me hicieron esperar",
    "estuve esperando",
    "espere ... minutos",
    "esperando ... minutos",
    "espere ... hora",
    # a charge already made: the patient's account, not the price list
    "ya pague",
)

# A charge already made (a bill, a refund, "I was charged twice") is about the patient's account,
# not the price list; stems would merge the past with the present ("cobraron"/"cobran"), so
# these are word beginnings.
BLOCK_PREFIXES = (
    *("cobraron", "cobrado", "factura", "recibo", "reembolso"),
    # the clinic cancelled ("me cancelaron la cita sin avisar"): a complaint, not a request
    *("cancelaron", "anularon"),
)

# Who treats, and whom: the LLM lane unless plainly a price question about a listed service
# ("cuanto cuesta la limpieza para mi hijo?").
SOFT_BLOCK = (
    "tratan",
    "ninos",
    "nino",
    "nina",
    "hijo",
    "hija",
    "doctor",
    "doctora",
    "doctores",
    "medico",
    "medica",
    "trabajan con",
)

# Children, by the words a parent uses ("my 6yo", "para mi hijo"): a price question about
# a child, where the clinic lists a service for children, is not answered with the adult one.
CHILDREN = """
niño niños niña niñas hijo hija hijos hijas bebé nene nena infantil pediátrico pediátrica
""".split()

BOOKING = (
    "pedir cita",
    "pedir una cita",
    "reservar",
    "agendar",
    "sacar cita",
    "quiero cita",
    "quiero una cita",
    "turno para",
    "cita para",
    "hay hueco",
    "tienen hueco",
    "tienen algun hueco",
    "hay turno",
    "tienen turno",
    "quiero ir",
    "quisiera ir",
    "me gustaria ir",
    "me pueden atender",
    "pueden atenderme",
    "disponibilidad",
)

# Whether a procedure may or should be done: with a service, a dental word or a condition, a
# question for the LLM lane ("¿Puedo blanquear mis dientes si tengo coronas?").
ASKS_WHETHER = (
    "puedo",
    "se puede",
    "puede",
    "pueden",
    "podria",
    "podrias",
    "podemos",
    "debo",
    "deberia",
    "tengo que",
    "hay que",
    "es posible",
    "esta bien",
    "es malo",
    "es normal",
    "es mejor",
    "mejor",
    "conviene",
)
# A conditional clause. "si" alone is also "sí" typed without its accent ("si, puedo a las 9",
# "si el martes", "si esta bien"), so it opens a condition only with a verb that cannot follow
# a "yes".
CONDITIONS = (
    "si tengo",
    "si tienes",
    "si tiene",
    "si tuviera",
    "si estoy",
    "si soy",
    "si hay",
    "si uso",
    "si usa",
    "si llevo",
    "si lleva",
    "en caso de",
    "en el caso de",
)
ALTERNATIVES = ("o", "u", "con", "vs", "versus")

# "ola" is "hola" without its h ("ola k tal"): a filler here, so that it leans a message towards
# Spanish less than Portuguese's greeting does and a bare "Olá" stays Portuguese.
STOPWORDS = """
a al el la los las lo un una unos unas de del y e o u en con por para que se me te le les
mi mis su sus tu tus es son esta estan ser hay y el ella ellos usted ustedes nos vos yo
por favor porfa porfavor quiero quisiera queria saber podrian pueden puede me gustaria
necesito cuanto cuantos cuanta aproximadamente mas hacer hacerme ponerme poner servicio
servicios diente dientes muela muelas pasar pasen mandar manden enviar envien lista
perdon disculpa disculpe disculpen lamentablemente siento
ola
soy mama papa novio novia esposo esposa marido mujer sea
dos tres cuatro cinco seis siete ocho nueve diez
porcelana zirconio resina hacen realizan ofrecen
""".split()

MARKERS = """
que el la los las de hola gracias cuanto cuesta precio si buenos buenas dias quiero cita
donde estan usted ustedes por favor manana esta muy
""".split()

TIME_WORDS = """
hoy manana ahora lunes martes miercoles jueves viernes sabado sabados domingo domingos
fin semana finde festivos feriados tarde tardes noche noches viene proxima proximo siguiente
mes
""".split()

NEGATIONS = ("no", "nunca")

# The visit's own time, not the opening hours ("ese horario no me viene bien").
NEUTRAL = (
    "ese horario",
    "este horario",
    "esa hora",
    "esta hora",
    "mi horario",
    "horario de mi cita",
    "horario de la cita",
    # "no me acuerdo si era el martes": not remembering is no "no", and its "si" no "yes"
    "no me acuerdo si",
    "no me acuerdo",
    "no recuerdo si",
    "no recuerdo",
    "no se si",
)

# Things at the clinic that are not services: a price question about one is not about a
# service ("how much is the parking?").
AMENITIES = ("estacionamiento", "parking", "aparcamiento", "wifi", "cafe")

# A number word before an hours word makes a duration ("unas horas"), not the opening hours.
QUANTITY_WORDS = """
unas unos varias varios dos tres cuatro cinco seis siete ocho diez doce 24 48
""".split()

# "Move it to ...": a reschedule only with a day or a time ("me la pasan para el lunes?"),
# not "puedo pasar para una limpieza".
RESCHEDULE_TO = (
    "pasar para",
    "pasar a",
    "mover para",
    "mover a",
    "cambiar para",
    "cambiar a",
    "dejar para",
)

ABBREVIATIONS = {
    "q": "que",
    "k": "que",  # "ola k tal", "k precio tiene"
    "xq": "porque",
    "pq": "porque",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "xfa": "porfa",
    "pls": "porfa",
    "hrs": "horas",
    "mñn": "manana",
}

# Pronouns glued to a verb: "cancelenla", "cancelarla", "reprogramenmela".
ENCLITICS = ("las", "los", "les", "nos", "la", "lo", "le", "me", "se")

# Diminutives patients use for the same thing ("limpiecita", "muelita", "empastito"): ending ->
# the endings of the plain word to try, longest ending first; kept only when the plain word is
# one the language's data or the clinic's price list knows.
DERIVED_ENDINGS = {
    "citas": ("zas", "s"),
    "citos": ("s", "zos"),
    "cita": ("za", ""),
    "cito": ("", "zo"),
    "itas": ("as", "es"),
    "itos": ("os", "es"),
    "ita": ("a", "e"),
    "ito": ("o", "e"),
}

HOUR_SUFFIXES = {
    "manana": 0,
    "de la manana": 0,
    "tarde": 12,
    "de la tarde": 12,
    "noche": 12,
    "de la noche": 12,
}
HOUR_PREPOSITIONS = ("a las", "a la", "las", "para las", "sobre las")

REPLIES = {
    "greeting": "¡Hola! ¿En qué podemos ayudarte? Te damos precios, te reservamos cita o "
    "resolvemos tus dudas 😊",
    "thanks": "¡De nada! Escríbenos cuando quieras 😊",
    "confirm": "¡Gracias! Si quieres pedir, cambiar o cancelar una cita, dime qué y cuándo.",
    "decline": "Entendido. Si prefieres otro horario, escríbenos y buscamos uno que te venga bien.",
    "opt_out": "Hecho, no te escribiremos más. Si cambias de opinión, envía START.",
    "opt_in": "¡Bienvenido de nuevo! Volverás a recibir nuestros recordatorios de citas.",
    "human": "Claro, ya se lo hemos pasado a recepción; un compañero te responderá aquí en breve.",
    "too_many_questions": "¡Gracias por tus mensajes! Necesito un momento para ponerme al día: "
    "vuelve a preguntarme en un minuto, por favor.",
    "handoff": "¡Gracias por tu mensaje! Un compañero te responderá en breve.",
    "handoff_closed": "¡Gracias por tu mensaje! Ahora estamos cerrados; un compañero te "
    "responderá cuando abramos, el {day} a las {time}.",
    "human_closed": "Claro, ya se lo hemos pasado a recepción. Ahora estamos cerrados; un "
    "compañero te responderá aquí cuando abramos, el {day} a las {time}.",
    "soft_handoff": "He pasado tu pregunta a un compañero, que también te responderá aquí en "
    "breve. Mientras tanto, puedo ayudarte con precios, citas y lo que necesites.",
    "soft_handoff_closed": "He pasado tu pregunta a un compañero, que te responderá aquí cuando "
    "abramos, el {day} a las {time}. Mientras tanto, puedo ayudarte con precios, citas y lo que "
    "necesites.",
    "urgent": "Si es una urgencia, llama ahora mismo a la clínica al {phone} o al número de "
    "emergencias local.",
    "urgent_no_phone": "Si es una urgencia, llama ahora mismo al número de emergencias local.",
    "text_required": "Perdona, aquí todavía no podemos escuchar audios ni ver imágenes. ¿Nos lo "
    "escribes? Te respondemos enseguida.",
    "price_line": "{name}: {price}",
    "price_offer": "¿Quieres reservar cita? Buscamos un horario que te venga bien.",
    "price_list_intro": "Nuestros principales servicios y precios:",
    "price_list_more": "…y más, ¡pregúntanos!",
    "unknown_service": "Lo sentimos, ese servicio no está en nuestra lista de precios.",
    "unknown_closest": "Quizá te interese:",
    "unknown_none": "Esto es lo que ofrecemos:",
    "offer_person": "Si quieres, un compañero se pone en contacto contigo y te lo explica.",
    "address": "Dirección: {address}",
    "phone": "Teléfono: {phone}",
    "hours_title": "Horario (hora de {city}):",
    "closed": "cerrado",
}
