"""Portuguese (Brazil first): what patients type (data only; compiled by lexicon/__init__.py).

Written without accents: the text is folded before matching, so "não" and "nao" agree.
"""

STRONG = {
    "greeting": (
        "oi",
        "oii",
        "oie",
        "ola",
        "bom dia",
        "boa tarde",
        "boa noite",
        "tudo bem",
        "e ai",
        "opa",
        "salve",
        # "eae, blz?": hi, all good? (the "blz" asks, it does not agree)
        "eae",
        "eai",
        "iae",
        "eae blz",
        "eai blz",
        "e ai blz",
        "e ai beleza",
        "eae beleza",
        "tudo blz",
        "tudo beleza",
    ),
    "price_query": (
        "quanto custa",
        "quanto custam",
        "quanto e",
        "quanto fica",
        "quanto sai",
        "quanto sairia",
        "custaria",
        "custariam",
        "quanto ... cobram",
        "quanto ... cobra",
        "qnto",
        "qto",
        "qnt",
        "custa",
        "custam",
        "preco",
        "precos",
        "valor",
        "valores",
        "tabela de precos",
        "tabela",
        "orcamento",
        # "implante é muito caro?", "caro demais... e a limpeza?": whether it is expensive
        "caro",
        "cara",
        "caros",
        "caras",
        "carissimo",
        "carissima",
        "barato",
        "barata",
    ),
    "confirm": (
        "sim",
        "confirmo",
        "confirmado",
        "confirmada",
        "estarei ai",
        "estarei la",
        "vou sim",
        "irei",
        "combinado",
        "claro",
        "com certeza",
        "pode confirmar",
        "fechado",
        "beleza",
    ),
    "decline": (
        # "8am is too early for me": the offered time does not suit
        "muito cedo",
        "cedo demais",
        "muito tarde",
        "tarde demais",
        "nao",
        "nao vou",
        "nao posso",
        "nao consigo",
        "nao vou conseguir",
        "nao da",
        "nao vai dar",
        "nao precisa",
        "nao, obrigado",
        "nao, obrigada",
        "nao da pra mim",
        "nao me serve",
        "nao serve",
        "nao fica bom",
        "nao fica bem",
        "nao rola",
        "nao vai rolar",
        "nao e possivel",
    ),
    "cancel": (
        "cancelar",
        "cancela",
        "cancele",
        "cancelem",
        "cancelamento",
        "desmarcar",
        "desmarca",
        "desmarque",
        "desmarquem",
        # "pode tirar meu nome da agenda" ("tirar" alone is also pulling a tooth)
        "nome da agenda",
        "apagar ... consulta",
        "apagar ... marcacao",
    ),
    "reschedule": (
        "remarcar",
        "remarca",
        "remarque",
        "reagendar",
        "mudar ... horario",
        "mudar ... data",
        "mudar ... dia",
        "trocar ... horario",
        "trocar ... dia",
        "trocar ... data",
        "outro dia",
        "outro horario",
        "adiar",
        "antecipar",
        "adiantar",
        "remarcacao",
        "mudar ... hora",
        "mudar ... consulta",
        "mudar ... marcacao",
        "trocar ... hora",
        "trocar ... consulta",
        "trocar ... marcacao",
        "passar ... consulta",
        # "dá para passar para segunda?": the visit, whatever comes before
        "da para passar para",
        "da para passar pra",
        "da pra passar pra",
        "da pra passar para",
    ),
    "opt_out": (
        "sair",
        "nao quero mais receber",
        "nao quero receber",
        "parem de",
        "pare de",
        "nao me mandem",
        "nao me mande",
        "descadastrar",
        "cancelar inscricao",
        "spam",
        "nao mandem mais",
    ),
    "opt_in": (
        "voltar a receber",
        "receber ... de novo",
        "receber ... novamente",
        "reativar",
        "inscrever",
        "cadastrar de novo",
    ),
    "human": (
        # asking to be called back is asking for a person
        "podem me ligar",
        "pode me ligar",
        "me ligar",
        "me retornem",
        "retornar a ligacao",
        "atendente",
        "uma pessoa",
        "pessoa real",
        "humano",
        "alguem",
        "recepcao",
        "recepcionista",
        "falar com",
        "me passa",
        "me passe",
        "me liga",
        "me liguem",
        "alguem de verdade",
        "pessoa de verdade",
        "nao quero falar com ... robo",
        "nao quero falar com ... maquina",
        "nao quero falar com ... bot",
    ),
    "clinic_info": (
        "onde fica",
        "onde ficam",
        "onde voces ficam",
        "onde e",
        "onde estao",
        "endereco",
        "localizacao",
        "como chegar",
        "que horas abrem",
        "que horas fecham",
        "horario de funcionamento",
        "atendem sabado",
        "atendem domingo",
        "telefone",
        "numero de telefone",
        # "me passa o telefone de vocês": the clinic's number, not a person
        "me passa ... telefone",
        "me passe ... telefone",
        "me passa ... endereco",
        "me passe ... endereco",
        "me passa ... numero",
        "me passa ... localizacao",
        "me manda ... endereco",
        "me manda ... localizacao",
        "morada",
        "ate que horas",
        "ate que hora",
        "abre que horas",
        "fecha que horas",
    ),
    "thanks": (
        "obrigado",
        "obrigada",
        "obg",
        "brigado",
        "brigada",
        "valeu",
        "agradeco",
        "muito obrigado",
        "muito obrigada",
        # "obrigado de novo pelo lembrete" thanks; it does not ask for reminders again
        "obrigado de novo",
        "obrigada de novo",
        "obrigado novamente",
        "obrigada novamente",
        "obrigadoo",
        "obrigadaa",
        "obrigadao",
        "brigadao",
        "vlw",
        "obgd",
        "obgda",
    ),
    "appointments": (
        "quando é minha consulta",
        "quando é a minha consulta",
        "que horas é minha consulta",
        "minhas consultas",
        "tenho consulta",
        "qual o horário da minha consulta",
        # "quando é a minha marcação?" (Portugal), "tenho consulta marcada essa semana?"
        "quando ... minha consulta",
        "quando ... minha marcacao",
        "horas ... minha consulta",
        "hora ... minha consulta",
        "minha marcacao",
        "minhas marcacoes",
        "tenho marcacao",
        "tenho uma marcacao",
        "tenho consulta marcada",
        "tenho uma consulta marcada",
        "tenho horario marcado",
        "minha consulta marcada",
        "minha proxima consulta",
    ),
}

# What the clinic sends, and the phrases that switch it on or off (lexicon/__init__.py fills in
# every noun): "ativar notificações de novo", "desativem os lembretes".
MESSAGE_NOUNS = (
    "lembretes",
    "mensagens",
    "avisos",
    "notificacoes",
    "alertas",
    "sms",
    "promocoes",
    "promos",
    "propaganda",
    "ofertas",
)
OPT_IN_TEMPLATES = (
    "voltar a ... {noun}",
    "voltem a ... {noun}",
    "de novo ... {noun}",
    "novamente ... {noun}",
    "outra vez ... {noun}",
    "{noun} ... de novo",
    "{noun} ... novamente",
    "{noun} ... outra vez",
    "ativar ... {noun}",
    "ativem ... {noun}",
    "ative ... {noun}",
    "reativem ... {noun}",
    "religar ... {noun}",
)
OPT_OUT_TEMPLATES = (
    "desativar ... {noun}",
    "desativem ... {noun}",
    "desative ... {noun}",
    "desligar ... {noun}",
    "desliguem ... {noun}",
    "nao quero mais {noun}",
    "chega de {noun}",
    "sem mais {noun}",
    "nao me mandem ... {noun}",
    "nao mandem ... {noun}",
)
# Opt-out keywords only as the whole message ("parar" inside a sentence is another verb).
STANDALONE = {"parar": "opt_out", "pare": "opt_out"}

WEAK = {
    "confirm": (
        "blz",
        "certo",
        "perfeito",
        "otimo",
        "entendi",
        "show",
        "ta bom",
        "tabom",
        "pode ser",
        "bom",
    ),
    # "a consulta é paga?": is it paid or free
    "price_query": ("quanto", "paga", "pago", "gratuita", "gratuito", "gratis", "de graca"),
    # The hours only alone or with a day or time ("voces atendem hoje?"), not "voces atendem
    # pelo SUS?" or "trabalham com ...".
    "clinic_info": ("abrem", "fecham", "funcionam", "voces atendem", "atendem", "trabalham"),
}

BLOCK = (
    "doi",
    "dor",
    "doer",
    "doendo",
    "doloroso",
    "incomoda",
    "inchada",
    "inchado",
    "inchaco",
    "inflamada",
    "inflamacao",
    "sangrando",
    "sangra",
    "sangue",
    "febre",
    "infeccao",
    "sensibilidade",
    "sensivel",
    "sensiveis",
    # not understanding the answer is no "no": it needs explaining
    "nao entendi",
    "nao entendo",
    "nao compreendi",
    # fear of the dentist
    "medo",
    "panico",
    # conditions a treatment must take into account
    "diabetes",
    "diabetico",
    "diabetica",
    "hipertensao",
    "pressao alta",
    "anticoagulante",
    "anticoagulantes",
    "marcapasso",
    "e verdade que",
    # the cancellation policy, not a cancellation: "se eu cancelar em cima da hora pago multa?"
    "multa",
    "taxa de cancelamento",
    "em cima da hora",
    "com antecedencia",
    "se eu cancelar",
    "se cancelar",
    "sem avisar",
    "convenio",
    "plano",
    "plano odontologico",
    "seguro",
    "parcelar",
    "parcelado",
    "parcelas",
    "financiamento",
    "quanto tempo",
    # how often or how many visits: a question about the treatment, not its price
    "quantas vezes",
    "de quanto em quanto",
    "quantas sessoes",
    "quantas consultas",
    "quanto dura",
    "quantas horas",
    "quantos dias",
    "depois de quanto",
    # after-care ("comer" alone would stem like the preposition "com")
    "posso comer",
    "pode comer",
    "sem comer",
    "beber",
    "fumar",
    "mastigar",
    "e seguro",
    "gravida",
    "gravidez",
    "amamentando",
    "anestesia",
    "o que fazer",
    "por que",
    "porque",
    "diferenca",
    "garantia",
    "alergia",
    "antibiotico",
    "mole",
    "quebrou",
    "quebrado",
    "caiu",
    "gengiva",
    "normal",
    "vale a pena",
    "recomendam",
    "avaliar",
    # pain and emergencies in other words
    "emergencia",
    "urgencia",
    "latejando",
    "latejante",
    "lateja",
    "abscesso",
    "pus",
    "insuportavel",
    "inchou",
    "infeccionou",
    # complaints: the LLM lane (and a person) answer them, whoever they name
    "reclamacao",
    "reclamar",
    "decepcionado",
    "decepcionada",
    "grosso",
    "grossa",
    "grosseiro",
    "grosseira",
    "mal educado",
    "mal educada",
    "pessimo",
    "pessima",
    "horrivel",
    "absurdo",
    "desrespeito",
    "falta de respeito",
    "inaceitavel",
    "vergonha",
    "chateado",
    "chateada",
    "irritado",
    "irritada",
    "fiquei esperando",
    "esperei ... minutos",
    "esperei ... hora",
    "esperando ... minutos",
    # a charge already made: the patient's account, not the price list
    "nota fiscal",
)

# A charge already made (a bill, a refund, "I was charged twice") is about the patient's account,
# not the price list; stems would merge the past with the present ("cobraron"/"cobran"), so
# these are word beginnings.
BLOCK_PREFIXES = (
    *("cobraram", "cobrou", "paguei", "recibo", "reembolso"),
    # the clinic cancelled ("desmarcaram minha consulta sem avisar"): a complaint, not a request
    *("cancelaram", "desmarcaram"),
)

# Who treats, and whom: the LLM lane unless plainly a price question about a listed service
# ("quanto custa a consulta com o doutor?").
SOFT_BLOCK = (
    "tratam",
    "criancas",
    "crianca",
    "filho",
    "filha",
    "doutor",
    "doutora",
    "dentistas",
    "medico",
    "medica",
    "trabalham com",
    "atendem criancas",
)

# Children, by the words a parent uses ("my 6yo", "para mi hijo"): a price question about
# a child, where the clinic lists a service for children, is not answered with the adult one.
CHILDREN = """
criança crianças filho filha filhos filhas bebê infantil pediátrico pediátrica
""".split()

BOOKING = (
    "marcar",
    "agendar",
    "quero uma consulta",
    "tem horario",
    "horario disponivel",
    "horarios disponiveis",
    "tem vaga",
    "encaixe",
)

# Whether a procedure may or should be done: with a service, a dental word or a condition, a
# question for the LLM lane ("Posso clarear os dentes se tenho coroas?").
ASKS_WHETHER = (
    "posso",
    "pode",
    "podem",
    "podemos",
    "poderia",
    "devo",
    "deveria",
    "tenho que",
    "e possivel",
    "da pra",
    "da para",
    "tem problema",
    "faz mal",
    "e melhor",
    "melhor",
    "e normal",
)
# A conditional clause. "se" alone is also a pronoun ("quanto se paga pela limpeza"), so it
# opens a condition only with what follows it.
CONDITIONS = (
    "se eu",
    "se tenho",
    "se tiver",
    "se tem",
    "se estou",
    "se estiver",
    "se for",
    "se ja",
    "se uso",
    "se usar",
    "se fizer",
    "se meu",
    "se minha",
    "se meus",
    "se minhas",
    "se o",
    "se a",
    "se os",
    "se as",
    "caso",
    "no caso de",
    "em caso de",
)
ALTERNATIVES = ("ou", "com", "vs", "versus")

STOPWORDS = """
a o as os um uma uns umas de do da dos das e em no na nos nas com por para pra pro pras
pros que se me te lhe eu voce voces vc vcs meu minha seu sua nosso nossa ele ela eles
gostaria queria quero saber podem pode poderia preciso aproximadamente mais fazer
colocar servico servicos dente dentes mandar manda enviar envia passar lista ai aos
desculpa desculpe infelizmente
sou mae pai marido esposa esposo namorado namorada mulher
dois duas tres quatro cinco seis sete oito nove dez
porcelana zirconia resina fazem realizam oferecem
""".split()

MARKERS = """
voce voces nao obrigado obrigada quanto custa preco sim bom boa dia oi ola tudo bem
quero consulta onde fica por favor amanha esta muito
""".split()

TIME_WORDS = """
hoje amanha agora segunda terca quarta quinta sexta feira sabado sabados domingo domingos
feriado feriados fim semana manha tarde noite vem proxima proximo mes
""".split()

NEGATIONS = ("nao", "nunca")

# The visit's own time, not the opening hours ("ese horario no me viene bien").
NEUTRAL = (
    "esse horario",
    "este horario",
    "nesse horario",
    "neste horario",
    "meu horario",
    "horario da consulta",
    "horario marcado",
    # "já não me lembro": not remembering is no "no"
    "nao me lembro",
    "nao lembro",
    # "brigado, depois eu remarco": later, not now
    "depois eu remarco",
    "depois remarco",
    "depois eu marco",
    "depois marco",
    "depois eu vejo",
    "depois eu aviso",
)

# Things at the clinic that are not services: a price question about one is not about a
# service ("how much is the parking?").
AMENITIES = ("estacionamento", "wifi", "cafe", "manobrista")

# A number word before an hours word makes a duration ("umas horas"), not the opening hours.
QUANTITY_WORDS = """
umas uns algumas alguns duas dois tres quatro cinco seis sete oito dez doze 24 48
""".split()

# "Move it to ...": a reschedule only with a day or a time ("dá pra passar para sexta?"),
# not "posso passar para uma limpeza".
RESCHEDULE_TO = (
    "passar para",
    "passar pra",
    "mudar para",
    "mudar pra",
    "trocar para",
    "trocar pra",
    "jogar para",
    "jogar pra",
    "empurrar para",
    "empurrar pra",
)

# Brazilian chat spellings, word for word ("onde vcs ficam?", "qto vc cobra").
ABBREVIATIONS = {
    "vc": "voce",
    "vcs": "voces",
    "q": "que",
    "pq": "porque",
    "tb": "tambem",
    "tbm": "tambem",
    "td": "tudo",
    "hj": "hoje",
    "amn": "amanha",
    "n": "nao",
    "msg": "mensagem",
    "msgs": "mensagens",
    "p": "pra",
}

ENCLITICS = ("las", "los", "lhe", "nos", "la", "lo", "me", "se")

# Diminutives patients use for the same thing ("limpezinha", "consultinha", "obturaçãozinha"):
# ending -> the endings of the plain word to try, longest ending first; kept only when the plain
# word is one the language's data or the clinic's price list knows.
DERIVED_ENDINGS = {
    "zinhas": ("s",),
    "zinhos": ("s",),
    "zinha": ("",),
    "zinho": ("",),
    "inhas": ("as",),
    "inhos": ("os", "es"),
    "inha": ("a",),
    "inho": ("o", "e"),
}

HOUR_SUFFIXES = {
    "da manha": 0,
    "manha": 0,
    "da tarde": 12,
    "tarde": 12,
    "da noite": 12,
    "noite": 12,
}
HOUR_PREPOSITIONS = ("as", "a", "pras", "para as", "lá pelas", "umas")

REPLIES = {
    "greeting": "Olá! Como podemos ajudar? Passamos valores, agendamos sua consulta ou "
    "tiramos suas dúvidas 😊",
    "thanks": "Imagina! Estamos à disposição 😊",
    "confirm": "Obrigado! Se quiser marcar, remarcar ou cancelar uma consulta, é só dizer o "
    "quê e quando.",
    "decline": "Tudo bem. Se quiser outro horário, é só mandar mensagem que encontramos um "
    "melhor para você.",
    "opt_out": "Pronto, não vamos mais te mandar mensagens. Se mudar de ideia, envie START.",
    "opt_in": "Que bom ter você de volta! Você vai voltar a receber nossos lembretes.",
    "human": "Claro, já passamos para a recepção; um colega responde aqui em instantes.",
    "too_many_questions": "Obrigado pelas mensagens! Preciso de um momento para acompanhar: "
    "pergunte de novo em um minuto, por favor.",
    "handoff": "Obrigado pela mensagem! Um colega vai te responder em instantes.",
    "handoff_closed": "Obrigado pela mensagem! Estamos fechados agora; um colega vai te "
    "responder quando abrirmos: {day}, às {time}.",
    "human_closed": "Claro, já passamos para a recepção. Estamos fechados agora; um colega "
    "responde aqui quando abrirmos: {day}, às {time}.",
    "soft_handoff": "Passei sua pergunta para um colega, que também vai responder aqui em "
    "instantes. Enquanto isso, posso ajudar com preços, agendamentos e o que precisar.",
    "soft_handoff_closed": "Passei sua pergunta para um colega, que vai responder aqui quando "
    "abrirmos: {day}, às {time}. Enquanto isso, posso ajudar com preços, agendamentos e o que "
    "precisar.",
    "urgent": "Se for uma emergência, ligue agora para a clínica: {phone}, ou para o número de "
    "emergência local.",
    "urgent_no_phone": "Se for uma emergência, ligue agora para o número de emergência local.",
    "text_required": "Desculpe, por aqui ainda não conseguimos ouvir áudios nem ver imagens. "
    "Pode escrever sua mensagem? Respondemos na hora.",
    "price_line": "{name}: {price}",
    "price_offer": "Quer agendar? Encontramos um horário bom para você.",
    "price_list_intro": "Nossos principais serviços e valores:",
    "price_list_more": "…e mais, é só perguntar!",
    "unknown_service": "Desculpe, esse serviço não está na nossa tabela de preços.",
    "unknown_closest": "Talvez te interesse:",
    "unknown_none": "Veja o que oferecemos:",
    "offer_person": "Se preferir, um colega entra em contato e explica tudo.",
    "address": "Endereço: {address}",
    "phone": "Telefone: {phone}",
    "hours_title": "Horário de funcionamento (horário de {city}):",
    "closed": "fechado",
}
