"""Which language a text is written in, from its words: English, Spanish, or not clear.

Menu words, ZIP codes and "ok" say nothing about language, so most short texts are not clear and
the conversation keeps the language it had.
"""

from __future__ import annotations

from helpline.domain.phrases import sms_words

# Words common in one language and rare in the other (accents off). Strong ones count twice:
# one of them on its own is enough ("hola", "sobredosis", "please").
SPANISH = frozenset(
    "que el la los las un una unos unas mi mis su sus tu yo usted ustedes esta estoy estan es "
    "tengo tiene tienen quiero quiere puedo puede necesito para por con pero porque como donde cuando "
    "muy mas tambien pastillas pastilla dolor hijo hija esposo esposa mama papa hermano hermana amigo "
    "novio novia medico receta dosis tomo tome tomar favor gracias buenas buenos dias tardes noches "
    "hace sin sobre hay del al lo le se nos ya ni aqui ahora despues antes todo toda todos nada algo "
    "alguien dice dijo creo ayuda llamen llamar llamenme cuanto cuanta duele duelen cada dia mucho "
    "adios".split()
)
SPANISH_STRONG = frozenset(
    "hola quiero necesito tengo sobredosis respira despierta morir matar matarme pastillas dolor "
    "gracias ayuda ayudenme usted estoy informacion espanol español señales tratamiento duele duelen "
    "puedo puede esta llamenme porque buenas buenos suicidio suicidas suicidarme desmayado desmayada "
    # Words of the Spanish menu and ways to ask for a call: "senales", "me pueden llamar?" answer in Spanish.
    "senales sintomas tolerancia tratar tratamiento tratamientos prueba llamar llamame llameme llamarme "
    "pueden podrian podria hiperalgesia metadona buprenorfina naltrexona siguiente "
    # Where they are: "vivo en chicago", "estamos cerca de houston".
    "vivo vivimos estamos cerca "
    # Not understanding English: "no entiendo", "no hablo ingles".
    "entiendo entiende comprendo hablo habla "
    # Asking for no more texts: "dejen de escribirme", "no me manden mas mensajes", "cancelar".
    "cancelar parar detener basta desuscribir desuscribirme dejen manden envien escriban escribirme "
    "mensajes molesten".split()
)
# "doctor" is both languages' word: it tells nothing.
ENGLISH = frozenset(
    "the i my is are was were he she it you your and to of in on for with what how can do does not "
    "this that have has had took take taking pills pill want need please pain dose "
    "daughter husband wife mom dad brother sister friend just about from been any some there when "
    "where who why will would could should know think get got help hi hello thanks thank hurts "
    "hurt am be an at if or but so him her they them we our".split()
)
ENGLISH_STRONG = frozenset(
    "the my is are what how please hello thanks thank pills want need took breathing overdose "
    "overdosed english".split()
)


def guess(text: str) -> str | None:
    """`en`, `es`, or None when the words do not tell (too few, or as many of each)."""
    spanish = english = 0
    for word in sms_words(text):
        spanish += 2 if word in SPANISH_STRONG else word in SPANISH
        english += 2 if word in ENGLISH_STRONG else word in ENGLISH
    if spanish >= 2 and spanish > english:
        return "es"
    if english >= 2 and english > spanish:
        return "en"
    return None
