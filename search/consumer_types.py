"""What a consumer asks, in the consumer question types of Kilicoglu et al. (2018), the
scheme the NLM annotated consumer health questions with (TREATMENT, SIDE_EFFECT,
INGREDIENT, PERSON_ORGANIZATION, ...).

MedQuAD's own labels (:mod:`healthqa.search.qtype`'s model) name the sections of NIH
pages, and several things consumers ask have no such section: what a product contains,
which doctor to see, how to stop a drug, how to throw it away, what a substance does to
the body. Each type here is read from a **lexicon written from the type's definition**:
the everyday phrasings of that definition ("side effects", "interact with", "made of",
"what kind of doctor", "come off", "dispose of"), never from the evaluation questions.
The MedQuAD model, its types mapped onto this scheme (:data:`FROM_MEDQUAD`), adds its
probabilities, so a question whose words the lexicon does not know still gets the type
its templates tell; with neither, the question asks for general information.

>>> consumer_type("Are amphetamine salts gluten free?", ("amphetamine salts",)).name   # doctest: +SKIP
'INGREDIENT'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

import numpy as np

from healthqa.search.qtype import Prediction, QuestionTypeClassifier, classifier

# "Can / does X cause Y?" asks what X leads to (its complication, or a drug's side effect),
# where "what causes Y?" asks a cause: counted above a plain "cause".
_LEADS_TO = (r"\b(?:can|could|does|do|did|will|would|might|may|is|are|has|have)(?: [\w'/-]+){1,6}? "
             r"(?:cause|causes|lead to|leads to|result in|bring on|trigger|give you|been implicated in|be implicated in|"
             r"implicated in|linked to|responsible for)\b")
# "I was diagnosed with", "she has been treated": what happened, told, not asked.
# "What doctor treats gout?": the verb is the doctor's, what is asked is who.
_NOT_TOLD = (r"(?<!was )(?<!were )(?<!been )(?<!being )(?<!got )(?<!is )(?<!are )"
             r"(?<!doctor )(?<!doctors )(?<!specialist )(?<!who )\b")
# Type -> (its definition, cue patterns written from that definition, a weight: cues of
# types that say little, such as "what is", count less than specific ones).
LEXICON: dict[str, tuple[str, tuple[str, ...], float]] = {
    "ACTION": ("how a drug or substance works in the body", (
        r"\bhow does \w+(?: \w+)? work\b", r"\bhow (?:it|they|this) works?\b", r"\bmechanism",
        r"\bwhat does \w+(?: \w+)? do (?:to|in|for) (?:the|my|your) body\b",
        r"\bhow does \w+ (?:help|lower|raise|reduce|increase)\b"), 1.0),
    "ALTERNATIVE": ("other drugs or treatments in place of one", (
        r"\balternatives?\b", r"\binstead of\b", r"\bsubstitute", r"\breplacement for\b", r"\bother than\b",
        r"\bnatural (?:way|remed|treatment|alternative)", r"\bwithout (?:taking|using) (?:medication|drugs|pills)\b"), 1.2),
    "CAUSE": ("what causes a condition or a finding", (
        r"\b(?:what|which|why)\b[^?.!]{0,40}\bcaus", r"\bcaus(?:e|es) (?:of|for|behind)\b", r"\bcaused by\b", r"\bwhy (?:do|does|did|am|is|are|would|would|have|has|can)\b",
        r"\breasons? (?:for|why|of)\b", r"\btrigger", r"\bhow (?:did|do|does|could|can) (?:i|you|he|she|we|one|someone|a person) (?:get|develop)\b(?! rid)",
        r"\bwhere does \w+(?: \w+)? come from\b", r"\bresult of\b", r"\bdue to\b", r"\bwhat makes\b",
        r"\bwhat (?:brings|brought) (?:it|this|on)\b"), 1.0),
    "COMPARISON": ("how two things differ", (
        r"\bdifference between\b", r"\bdiffer(?:ent)? from\b", r"\bversus\b", r"\bvs\.?\b", r"\bcompared? (?:to|with)\b",
        r"\bwhich is better\b", r"\bbetter than\b", r"\bsame as\b"), 1.2),
    "COMPLICATION": ("what a condition, drug or procedure can lead to", (
        r"\bcomplications?\b", _LEADS_TO, r"\blead to\b", r"\bresult in\b", r"\bcan \w+(?: \w+)? (?:occur|happen|come back|return) after\b",
        r"\bafter (?:surgery|an operation|the operation|the procedure|a procedure)\b", r"\blong[- ]term (?:damage|problems|consequences)\b",
        r"\bpermanent damage\b", r"\bdangerous\b", r"\brisks? of (?:the )?(?:surgery|procedure|operation)\b", r"\bsuccess rate\b"), 1.0),
    "CONTRAINDICATION": ("when a drug or treatment must not be used", (
        r"\bsafe (?:to|for|during|while|if|with)\b", r"\bis it safe\b", r"\b(?:ok|okay|alright) to (?:take|use|have)\b",
        r"\bshould(?:n't| not) (?:take|use)\b", r"\bwhile (?:pregnant|breast ?feeding|nursing)\b",
        r"\bcontraindicat", r"\bcan i (?:still )?(?:take|use|have) \w+(?: \w+)? (?:if|when|while) i\b",
        r"\bwho should not\b", r"\ballergic to\b"), 1.0),
    "DIAGNOSIS": ("how a condition is found, tested or told apart", (
        _NOT_TOLD + r"diagnos", r"\btest(?:s|ed|ing)? (?:for|to see|to find|to check|to detect|to diagnose)\b",
        r"\bget(?:ting)? tested\b", r"\bhow (?:do|can|would|will) (?:i|you|we|doctors|a doctor) (?:know|tell|find out|check|confirm)\b",
        r"\bdetect", r"\bscreen(?:ing)?\b", r"\b(?:ct|cat|mri|pet) scans?\b", r"\bx-?rays?\b", r"\bbiopsy\b",
        r"\bblood (?:test|work)\b", r"\btest results?\b", r"\bshow up (?:on|in)\b", r"\bmisdiagnos", r"\bexamination\b"), 1.0),
    "DOSAGE": ("how much of a drug to take", (
        r"\bdos(?:e|es|age|ages)\b", r"\bhow (?:much|many) \w+(?: \w+)? (?:should|can|do|to|may|must) (?:i|you|he|she|we|one)? ?(?:take|give|use|have)\b",
        r"\bhow (?:many|much) (?:mg|milligrams|pills|tablets|capsules|units)\b",
        r"\bmaximum (?:amount|daily)\b", r"\btoo (?:high|low) (?:a )?dose\b", r"\bincrease (?:the|my) (?:amount|dose)\b"), 1.0),
    "EFFECT": ("what a substance, condition or treatment does to the body or another condition", (
        r"\beffects? (?:of|that) [^?.!,;]{1,40}? (?:on|to|in|has on|have on)\b", r"\baffect(?:s|ed|ing)?\b", r"\bimpact",
        r"\brelationship between\b", r"\brelated to\b", r"\bconnection between\b", r"\blink(?:ed)? (?:between|to|with)\b",
        r"\bassociat(?:ed|ion) (?:with|between)\b", r"\bwhat happens (?:to|when|if)\b", r"\bbad for\b", r"\bgood for\b",
        r"\bharmful\b", r"\bdoes \w+(?: \w+)? (?:make|help|hurt|damage|worsen)\b"), 0.9),
    "FREQUENCY": ("how common a condition is", (
        r"\bhow common\b", r"\bhow (?:rare|often does|many people)\b", r"\bprevalen", r"\bincidence\b",
        r"\bhow many (?:cases|americans|children|women|men)\b"), 1.2),
    "INDICATION": ("what a drug or procedure is used for", (
        r"\bused (?:for|to treat)\b", r"\buse[sd]? of\b", r"\bprescribed (?:for|to)\b", r"\bwhat (?:is|are) \w+(?: \w+){0,3} (?:used )?for\s*\??$",
        r"\bindications?\b", r"\bwhat (?:conditions|diseases|illnesses) (?:does|do|is|can|are)\b", r"\bpurpose of\b",
        r"\bwhy (?:would|do|does) (?:a doctor|doctors|someone) (?:prescribe|give|recommend)\b", r"\bwho should (?:get|take|have)\b",
        r"\bdo i need (?:the|a|this)\b",
        r"\bshould (?:i|one|you|he|she|we|adults|children|people|everyone) (?:get|receive|have)\b"), 1.0),
    "INFORMATION": ("what a condition or drug is, in general", (
        r"\bwhat (?:is|are)(?: an?| the)? \w+(?: \w+){0,3}\s*\??$", r"\binformation\b", r"\binfo\b", r"\btell me (?:about|more)\b",
        r"\bexplain", r"\bdefin(?:e|ition)\b", r"\bwhat does \w+(?: \w+)? mean\b", r"\blearn (?:more )?about\b",
        r"\bknow (?:more )?about\b", r"\bliterature\b", r"\bmaterials? (?:on|about)\b", r"\banything (?:on|about)\b"), 0.6),
    "INGREDIENT": ("what a product contains or is made of", (
        r"\bingredients?\b", r"\bcontain(?:s|ed|ing)?\b", r"\bmade (?:of|from|with)\b", r"\bderived from\b",
        r"\b(?:gluten|lactose|dairy|latex|sugar|alcohol|sulfa|gelatin|soy|peanut)[- ]free\b", r"\bhave (?:gluten|lactose|latex|gelatin)\b",
        r"\bhow much \w+(?: \w+)? (?:is|are) (?:in|there in)\b", r"\bwhat(?:'s| is) in\b", r"\bcomponents?\b", r"\bgeneric (?:name|for)\b",
        r"\bbrand names?\b", r"\bsame (?:thing|drug|medicine) as\b"), 1.3),
    "INHERITANCE": ("whether and how a condition is passed on in families", (
        r"\binherit", r"\bhereditary\b", r"\bgenetic(?:ally)?\b", r"\brun(?:s)? in (?:the |my |our )?famil", r"\bpass(?:ed)? (?:it )?(?:on|down)\b",
        r"\bpassed (?:on|down) to\b", r"\bcarriers?\b", r"\bfrom (?:my|his|her|their) (?:mother|father|parents?|mom|dad)\b",
        r"\bgenes?\b"), 1.0),
    "INTERACTION": ("whether two drugs, foods or substances can be taken together", (
        r"\binteract", r"\breactions? between\b", r"\bbetween (?:these|the|two|my|both) (?:\w+ )?(?:drugs|medications|medicines|pills)\b", r"\btogether\b", r"\bcombin(?:e|ed|ing|ation)\b", r"\bmix(?:ed|ing)?\b", r"\bat the same time\b",
        r"\bwith (?:alcohol|grapefruit|coffee|caffeine|other (?:drugs|medications|medicines))\b",
        r"\btake \w+(?: \w+)? (?:with|and) (?!food|meals?|water|milk)\w+\b", r"\bwhile (?:taking|on)\b", r"\bdrink(?:ing)? (?:alcohol|beer|wine) (?:on|with|while)\b"), 1.1),
    "LIFESTYLE_DIET": ("what to eat, drink or do in daily life with a condition", (
        r"\bdiet(?:ary|s)?\b", r"\b(?:eat|eating|foods?|meals?|nutrition)\b", r"\bexercis", r"\blifestyle\b", r"\bweight (?:loss|gain)\b",
        r"\blose weight\b", r"\bphysical activity\b", r"\bsports?\b", r"\bwhat (?:can|should) (?:i|he|she|we) (?:eat|drink|do)\b",
        r"\bsleep (?:position|habits)\b", r"\bwork ?out\b"), 0.9),
    "OVERDOSE": ("what happens with too much of a drug", (
        r"\boverdos", r"\btoo (?:much|many) \w+(?: \w+)?\b", r"\b(?:took|taken|take) (?:two|double|extra|twice)\b", r"\bpoison"), 1.2),
    "PERSON_ORGANIZATION": ("which doctor, specialist, clinic or organisation to turn to", (
        r"\b(?:what|which) (?:kind|type|sort) of (?:a )?(?:doctor|specialist|physician|provider)\b", r"\b(?:what|which) doctors?\b",
        r"\bspecialist", r"\bspecializ", r"\bwho (?:can|should|do|does|would) (?:i|we|he|she)? ?(?:see|go to|contact|treat|help)\b",
        r"\bwhere (?:can|do|should|could) (?:i|we|he|she|one) (?:go|find|get|buy|contact)\b", r"\bhospitals?\b", r"\bclinics?\b",
        r"\borganizations?\b", r"\bfoundations?\b", r"\bcontact (?:information|details|number)\b", r"\brefer(?:ral)?\b",
        r"\bphone number\b", r"\bexperts?\b", r"\bcenters?\b", r"\bdoctors? (?:who|that|in|near)\b"), 1.2),
    "PREVENTION": ("how to avoid getting a condition", (
        r"\bprevent", r"\bavoid (?:getting|catching|another|a)\b", r"\breduce (?:the|my|your)? ?(?:risk|chance)", r"\bprotect (?:myself|yourself|against|from)\b",
        r"\bkeep (?:it|this) from\b", r"\bstop (?:it )?from (?:spreading|coming back|happening)\b"), 1.1),
    "PROGNOSIS": ("how a condition goes on: outlook, recovery, survival", (
        r"\bprognos", r"\blife expectancy\b", r"\boutlook\b", r"\bsurviv", r"\bhow long (?:will|does|do|can|would) \w+(?: \w+){0,3} (?:live|last|take to (?:heal|recover))\b",
        r"\brecover", r"\bgo away\b", r"\bcurable\b", r"\bget (?:better|worse)\b", r"\bfatal\b", r"\bdie (?:of|from)\b", r"\blong[- ]term\b",
        r"\bprogress(?:ion|es)?\b", r"\bchances? (?:of|to)\b", r"\bstages?\b", r"\bheal\b"), 1.0),
    "RESEARCH": ("what studies and trials say, new treatments", (
        r"\bresearch", r"\bclinical trials?\b", r"\bstud(?:y|ies)\b", r"\bnew(?:est)? (?:treatments?|drugs?|therap)", r"\blatest\b",
        r"\bcurrent findings\b", r"\bexperimental\b"), 1.1),
    "SIDE_EFFECT": ("unwanted effects of a drug or treatment", (
        r"\bside[- ]?effects?\b", r"\badverse\b", r"\breactions?\b", r"\bsince (?:i )?(?:started|starting|began) (?:taking|on|using)\b",
        r"\bafter (?:taking|starting|using)\b", r"\bcause[sd]? (?:by|from) (?:the |my |this )?(?:medication|medicine|drug|pills?)\b",
        r"\b(?:medication|medicine|drug|pills?) (?:cause|causes|causing|make|makes|made)\b"), 1.2),
    "STORAGE_DISPOSAL": ("how to keep a product, how long it lasts, how to throw it away", (
        r"\bstor(?:e|ed|ing|age)\b", r"\bexpir", r"\bshelf life\b", r"\bdispos", r"\bthrow (?:it |them )?(?:away|out)\b", r"\bget rid of (?:old|unused|expired)\b",
        r"\brefrigerat", r"\broom temperature\b", r"\bfridge\b", r"\bstill good\b", r"\bgo(?:es)? bad\b", r"\bhow long (?:is|does|can) \w+(?: \w+)? (?:good|last|keep)\b",
        r"\bonce (?:opened|open)\b", r"\bunused\b"), 1.3),
    "SUPPORT": ("support groups and help for people living with a condition", (
        r"\bsupport (?:groups?|services?|network)\b", r"\bpeople (?:who have|with) \w+(?: \w+)? to talk\b", r"\bcaregivers?\b",
        r"\bcounsel", r"\bfinancial (?:help|assistance|aid)\b", r"\bhelp paying\b"), 1.1),
    "SUSCEPTIBILITY": ("who gets a condition, how it spreads, and one's own risk", (
        r"\bat risk\b", r"\brisk factors?\b", r"\bsusceptib", r"\bmore likely\b", r"\bwho (?:gets|can get|is likely)\b",
        r"\bcontagious\b", r"\bcatch(?:ing)?\b", r"\bspread(?:s|ing)?\b", r"\btransmi", r"\binfectious\b", r"\bimmune to\b",
        r"\bcan (?:i|you|he|she|a person|someone|children|kids|adults|men|women) (?:still )?(?:get|have|develop)\b",
        r"\bget (?:it|this|them) again\b", r"\bam i likely\b", r"\bchances? of (?:getting|developing|having)\b", r"\bhigher risk\b"), 1.0),
    "SYMPTOM": ("how a condition shows: its signs and what it feels like", (
        r"\bsymptoms?\b", r"\bsigns?\b", r"\bfeel(?:s)? like\b", r"\blook(?:s)? like\b", r"\bhow do (?:i|you) know if (?:i|you|he|she) (?:have|has)\b",
        r"\bis it normal to (?:feel|have)\b", r"\bmanifest", r"\bwarning signs\b", r"\bpresent(?:s|ation)?\b"), 1.0),
    "TAPERING": ("how to stop or lower a drug", (
        r"\btaper", r"\bstop(?:ping)? (?:taking|using|the|my|this)\b", r"\bcome off\b", r"\bcoming off\b", r"\bget(?:ting)? off\b", r"\bwean",
        r"\bquit(?:ting)? (?:taking|the|my)\b", r"\bwithdrawal\b", r"\bdiscontinu", r"\breduce (?:the|my) dose\b", r"\bcut(?:ting)? (?:back|down)\b",
        r"\bgo(?:ing)? off\b"), 1.3),
    "TREATMENT": ("how a condition is treated or relieved", (
        _NOT_TOLD + r"treat(?:s|ed|ing|ments?)?\b", r"\bcur(?:e|es|ed)\b", r"\btherap", r"\bremed", r"\bget rid of\b", r"\bhelp (?:with|for)\b",
        r"\bwhat (?:can|should) (?:i|we|he|she) (?:do|take)\b", r"\b(?:medicine|medication|drug|pills?) (?:for|to help)\b", r"\brelie(?:f|ve)\b",
        r"\bmanag(?:e|ing|ement)\b", r"\bsurgery\b", r"\boperation\b", r"\bfix\b", r"\bhow to (?:stop|get over|deal with)\b", r"\bwhat (?:is|are) done\b",
        r"\bbenefi(?:t|ts|cial)\b", r"\b(?:help|helps|work|works) (?:for|against)\b", r"\beffective (?:for|against|in treating)\b"), 0.9),
    "USAGE": ("how and when to take or use a drug or device", (
        r"\bhow (?:to|do i|should i|do you|should you|can i) (?:take|use|apply|inject|administer|give)\b", r"\bwhen (?:to|should i|do i) (?:take|use)\b",
        r"\bwith (?:or without )?food\b", r"\bempty stomach\b", r"\bcrush", r"\bsplit (?:the|a|my)\b", r"\bchew", r"\btime of day\b",
        r"\b(?:morning|night|bedtime) or\b", r"\bmiss(?:ed)? (?:a|my) (?:dose|pill)\b", r"\bforg[eo]t (?:a|to take|my)\b",
        r"\bhow long (?:should|can|do|must) (?:i|you|he|she) (?:take|use|stay on)\b", r"\binstructions\b", r"\bhow often (?:should|can|do)\b",
        r"\busage\b", r"\b(?:be )?taken (?:in|at|with|before|after|on)\b",
        r"\b(?:in the )?(?:morning|evening|at night|at bedtime)\b", r"\bwhen (?:is|are) \w+(?: \w+)? (?:given|used)\b"), 1.1),
}

# MedQuAD question types (the model's labels) read in this scheme.
FROM_MEDQUAD = {
    "information": "INFORMATION", "other information": "INFORMATION", "how can i learn more": "INFORMATION",
    "symptoms": "SYMPTOM", "treatment": "TREATMENT", "causes": "CAUSE", "genetic changes": "CAUSE",
    "outlook": "PROGNOSIS", "stages": "PROGNOSIS", "exams and tests": "DIAGNOSIS",
    "when to contact a medical professional": "DIAGNOSIS", "inheritance": "INHERITANCE",
    "side effects": "SIDE_EFFECT", "important warning": "SIDE_EFFECT", "severe reaction": "SIDE_EFFECT",
    "indication": "INDICATION", "why get vaccinated": "INDICATION", "usage": "USAGE", "forget a dose": "USAGE",
    "prevention": "PREVENTION", "complications": "COMPLICATION", "storage and disposal": "STORAGE_DISPOSAL",
    "dietary": "LIFESTYLE_DIET", "susceptibility": "SUSCEPTIBILITY", "dose": "DOSAGE",
    "emergency or overdose": "OVERDOSE", "how does it work": "ACTION", "interactions with medications": "INTERACTION",
    "interactions with foods": "INTERACTION", "interactions with herbs and supplements": "INTERACTION",
    "contraindication": "CONTRAINDICATION", "precautions": "CONTRAINDICATION", "frequency": "FREQUENCY",
    "research": "RESEARCH", "support groups": "SUPPORT", "considerations": "INFORMATION",
    "brand names": "INGREDIENT", "brand names of combination products": "INGREDIENT", "how effective is it": "EFFECT",
}
# The MedQuAD type a consumer type is answered by first (for ranking pages by type).
TO_MEDQUAD = {
    "SYMPTOM": "symptoms", "TREATMENT": "treatment", "CAUSE": "causes", "PROGNOSIS": "outlook",
    "DIAGNOSIS": "exams and tests", "INHERITANCE": "inheritance", "SIDE_EFFECT": "side effects",
    "INDICATION": "indication", "USAGE": "usage", "PREVENTION": "prevention", "COMPLICATION": "complications",
    "STORAGE_DISPOSAL": "storage and disposal", "LIFESTYLE_DIET": "dietary", "SUSCEPTIBILITY": "susceptibility",
    "DOSAGE": "dose", "OVERDOSE": "emergency or overdose", "ACTION": "how does it work", "INTERACTION":
    "interactions with medications", "CONTRAINDICATION": "precautions", "FREQUENCY": "frequency",
    "RESEARCH": "research", "SUPPORT": "support groups", "INGREDIENT": "brand names", "EFFECT": "how effective is it",
    "INFORMATION": "information",
}
# The model's share of a type's score beside the lexicon's cues (one cue counts its weight).
MODEL_SHARE = 0.8
# A question's own sentences (ending in "?", or its first) count fully; others at this share.
OTHER_SENTENCE_SHARE = 0.5
_SENTENCE = re.compile(r"[^.?!\n]+[.?!\n]*")
_WORD = re.compile(r"[a-z]+")
_TOKEN = re.compile(r"\w+")
_LOOK_BEHINDS = re.compile(r"^(?:\(\?<[!=][^()]*\))+")


@lru_cache(maxsize=1)
def _end_anchored() -> tuple[int, ...]:
    """The cues tied to the end of the text: one may match at the end of a sentence but
    nowhere in the whole text, so they are tried sentence by sentence in every text."""
    return tuple(at for at, cue in enumerate(_cues()) if cue.anchored)


@dataclass(frozen=True)
class _Cue:
    """One cue pattern of the lexicon, and what a text must hold for it to be worth trying."""

    type: str
    pattern: re.Pattern[str]
    weight: float
    starts: tuple[str, ...] | None  # the letters a match's first word starts with (one of them); None: unknown
    literal: str | None  # the lower-case text every match starts with, three letters or more
    anchored: bool  # tied to the end of the text ("what is X for?" ending there)


@lru_cache(maxsize=1)
def _cues() -> tuple[_Cue, ...]:
    """Every cue, in the lexicon's order (the order scores are summed in)."""
    return tuple(_Cue(name, re.compile(source, re.I), weight, _starts(source), _leading(source), "$" in source)
                 for name, (_, sources, weight) in LEXICON.items() for source in sources)


@lru_cache(maxsize=1)
def _by_start() -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """Letters a word starts with -> the cues (their places in :func:`_cues`) whose matches
    start with such a word; and the cues with no such letters, tried in every text."""
    index: dict[str, list[int]] = {}
    always = []
    for at, cue in enumerate(_cues()):
        for start in cue.starts or ():
            index.setdefault(start, []).append(at)
        if cue.starts is None:
            always.append(at)
    return {start: tuple(cues) for start, cues in index.items()}, tuple(always)


@lru_cache(maxsize=8)  # one search's questions, not a memo of questions asked before
def _in_text(text: str) -> dict[int, re.Match[str]]:
    """The cues (their places in :func:`_cues`) that match somewhere in ``text``, in the
    lexicon's order, each with its first match. A cue that matches one of its sentences
    matches the text too (a sentence is a piece of it, cut at a stop, a question mark or a line
    break, and the cues' other assertions look no further than that), end-anchored cues
    aside: most cues need not be tried sentence by sentence. Remembered: the type and the
    asking words of one question read the same text.

    In an ASCII text (where lower-casing matches as ``re.I`` does) a cue is tried only where
    a word starts with its first letters, when the text holds its leading words: one pass over
    the words finds the few cues worth trying and the few places where a match may start (a
    failed search would read the whole text; a failed match there reads a word or two)."""
    cues = _cues()
    if not text.isascii():
        return {at: found for at, cue in enumerate(cues) if (found := cue.pattern.search(text))}
    lowered = text.lower()
    found = {}
    for at, places in sorted(_places(lowered).items()):  # in the lexicon's order
        cue = cues[at]
        if cue.literal and cue.literal not in lowered:
            continue
        if places is None:  # no letters known: searched
            match = cue.pattern.search(text)
        else:  # the first place a match starts is where search would find it
            match = next(filter(None, map(cue.pattern.match, repeat(text), places)), None)
        if match:
            found[at] = match
    return found


def _places(lowered: str) -> dict[int, list[int] | None]:
    """The cues some word of ``lowered`` starts as, each with the words' offsets (ascending),
    and the cues tried in every text (None: a match may start anywhere)."""
    places: dict[int, list[int] | None] = dict.fromkeys(_by_start()[1])
    for word in _TOKEN.finditer(lowered):
        cues = _started_by(word[0])
        if cues:  # most words start no cue
            start = word.start()
            for at in cues:
                places.setdefault(at, []).append(start)
    return places


@lru_cache(maxsize=100_000)
def _started_by(word: str) -> tuple[int, ...]:
    """The cues whose matches may start with ``word`` (remembered: questions share their words)."""
    index = _by_start()[0]
    return tuple(at for end in range(1, len(word) + 1) for at in index.get(word[:end], ()))


def _starts(source: str) -> tuple[str, ...] | None:
    r"""The letters the first word of every match of the cue ``source`` starts with (one of
    them), when the cue starts at a word's start (``\b``, after any look-behinds) with letters
    or with groups of alternatives each starting with letters; else None.

    >>> _starts(r"\bside.?effects?\b"), _starts(r"\b(?:ct|cat) scans?\b"), _starts(r"\b(?:be )?taken")
    (('side',), ('ct', 'cat'), ('be', 'taken'))
    """
    rest = _LOOK_BEHINDS.sub("", source, count=1)
    if len(_alternatives(source)) > 1 or not rest.startswith("\\b"):
        return None
    return _word_starts(rest[2:])


def _word_starts(rest: str) -> tuple[str, ...] | None:
    """:func:`_starts` of what follows the cue's first ``\\b``."""
    if not rest.startswith("(?:"):
        letters = _letters(rest)
        return (letters,) if letters else None
    alternatives = _alternatives(rest[3:])  # the group's, up to its ")"
    end = 3 + sum(map(len, alternatives)) + len(alternatives) - 1
    starts = tuple(map(_letters, alternatives))
    if not all(starts) or rest[end + 1:end + 2] in ("*", "{"):
        return None
    if rest[end + 1:end + 2] == "?":  # an optional group: a match may start with what follows it
        after = _word_starts(rest[end + 2:])
        return starts + after if after else None
    return starts


def _alternatives(source: str) -> list[str]:
    """``source`` cut at each ``|`` outside any group, up to the first unopened ``)``."""
    depth, at, cut = 0, 0, [0]
    while at < len(source):
        depth += {"(": 1, ")": -1}.get(source[at], 0)
        if depth < 0:
            break
        if source[at] == "|" and depth == 0:
            cut.append(at + 1)
        at += 2 if source[at] == "\\" else 1
    ends = [c - 1 for c in cut[1:]] + [at]
    return [source[start:end] for start, end in zip(cut, ends)]


def _letters(source: str) -> str:
    """The letters ``source`` starts with that every match of it has (a last letter followed
    by ``?``, ``*`` or ``{`` may be absent)."""
    letters = re.match(r"[a-z]*", source).group()
    return letters[:-1] if source[len(letters):len(letters) + 1] in ("?", "*", "{") else letters


def _leading(source: str) -> str | None:
    r"""The letters every match of the cue ``source`` starts with, if there are three or more.

    >>> _leading(r"\bside.?effects?\b"), _leading(r"\bsigns?\b"), _leading(r"\bcure|\bheal")
    ('side', 'sign', None)
    """
    if len(_alternatives(source)) > 1:  # no letters are common to every match
        return None
    found = re.match(r"(?:\\b)?([a-z' ]+)", source)
    if not found:
        return None
    letters = found.group(1)
    if source[found.end():found.end() + 1] in ("?", "*", "{"):  # the last letter may be absent
        letters = letters[:-1]
    return letters.lower() if len(letters) >= 3 else None


def _sentences(text: str) -> list[tuple[str, float]]:
    """The sentences of ``text`` with their share: asking ones (ending in "?") fully."""
    parts = [s.strip() for s in _SENTENCE.findall(text) if s.strip()] or [text]
    asking = [s.endswith("?") for s in parts]
    if not any(asking):
        asking[0] = True
    return [(s, 1.0 if ask else OTHER_SENTENCE_SHARE) for s, ask in zip(parts, asking)]


def lexicon_scores(text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per type, the weighted count of its cues in ``text`` (each cue once, at its
    sentence's share), and the words that matched."""
    scores: dict[str, float] = {}
    cues: dict[str, list[str]] = {}
    sentences = _sentences(text)  # split once, not once a cue
    in_text, every_cue = _in_text(text), _cues()
    whole = len(sentences) == 1 and sentences[0][0] == text  # one sentence, the text itself: already searched
    # In ASCII, a sentence without a cue's leading words is not searched for it (as in _in_text).
    lowered = [sentence.lower() if text.isascii() else None for sentence, _ in sentences]
    for at in sorted({*in_text, *_end_anchored()}):  # in the lexicon's order: the sums are the same
        cue = every_cue[at]
        best = 0.0
        for (sentence, share), low in zip(sentences, lowered):
            if share <= best:  # a match here would change nothing
                continue
            if whole:
                found = in_text.get(at)
            elif low is not None and cue.literal and cue.literal not in low:
                continue
            else:
                found = cue.pattern.search(sentence)
            if found and share > best:
                best = share
                cues.setdefault(cue.type, []).append(found.group(0).strip())
        if best:
            scores[cue.type] = scores.get(cue.type, 0.0) + cue.weight * best
    return scores, cues


def asking_words(text: str) -> set[str]:
    """The lower-case words of ``text`` that some type's cue is written with ("bad" in "bad
    for", "side" and "effects"): how the question asks, not what it asks about."""
    words: set[str] = set()
    for at, found in _in_text(text).items():
        words.update(w for w in _WORD.findall(found.group(0).lower()) if _spelt_out(at, w))
    return words


@lru_cache(maxsize=20_000)
def _spelt_out(at: int, word: str) -> bool:
    """Whether the cue at ``at`` in :func:`_cues` spells out ``word`` (starts with one of its
    words: remembered, questions ask in the same words)."""
    return any(word.startswith(stem) for stem in _literal_words(_cues()[at].pattern.pattern))


@lru_cache(maxsize=None)
def _literal_words(pattern: str) -> tuple[str, ...]:
    """The words a cue pattern spells out (its wildcards left out), as prefixes."""
    return tuple(w for w in _WORD.findall(re.sub(r"\\[bswdBSWD]", " ", pattern).lower()) if len(w) >= 3)


def model_scores(text: str, focus: tuple[str, ...], model: QuestionTypeClassifier | None = None) -> dict[str, float]:
    """The MedQuAD model's probabilities, summed per consumer type (only when some word of
    the question is one the model knows: else it only repeats its prior)."""
    model = model or classifier()
    if not model.cues(text, focus):
        return {}
    groups, names = _label_groups(model)
    # bincount adds each label's probability to its type in the labels' order, in float64, as a
    # sum label by label would: the same sums.
    return dict(zip(names, np.bincount(groups, model.probabilities(text, focus), len(names)).tolist()))


@lru_cache(maxsize=2)
def _label_groups(model: QuestionTypeClassifier) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per label of ``model``, the number of the consumer type it reads as, and those types
    (numbered in the order the labels first name them)."""
    read = [FROM_MEDQUAD.get(label, "INFORMATION") for label in model.labels]
    names = tuple(dict.fromkeys(read))
    return np.array([names.index(name) for name in read], dtype=np.intp), names


def consumer_type(text: str, focus: tuple[str, ...] = (), alternatives: int = 2, drug: bool = False,
                  model: QuestionTypeClassifier | None = None) -> Prediction:
    """The consumer type ``text`` asks: lexicon cues plus the model's share; INFORMATION
    when nothing tells (confidence is the type's share of all the evidence). With ``drug``
    (a focus is a drug), what the focus leads to is a side effect, not a complication."""
    scores, cues = lexicon_scores(text)
    for name, p in model_scores(text, focus, model).items():
        scores[name] = scores.get(name, 0.0) + MODEL_SHARE * p
    if drug and "COMPLICATION" in scores:
        scores["SIDE_EFFECT"] = scores.get("SIDE_EFFECT", 0.0) + scores.pop("COMPLICATION")
        cues["SIDE_EFFECT"] = cues.get("SIDE_EFFECT", []) + cues.pop("COMPLICATION", [])
    if not scores:
        return Prediction("INFORMATION", 0.0, ())
    names = sorted(scores, key=lambda n: (-scores[n], n))
    total = float(np.sum(list(scores.values())))
    return Prediction(names[0], scores[names[0]] / total,
                      tuple((n, scores[n] / total) for n in names[1:1 + alternatives]),
                      tuple(dict.fromkeys(cues.get(names[0], ()))))
