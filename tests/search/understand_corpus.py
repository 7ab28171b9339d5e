"""A small MedQuAD-like collection for question understanding: topics named in clinical
words that people ask about in lay words, the same question from several sources, answer-
less stubs beside answered pages, and pages that share only incidental words."""

from __future__ import annotations

import pathlib

from healthqa.ingest.record import Answer, QAPage
from tests.search.corpus_index import build_index


def _page(pid: str, source: str, question: str, topic: str, qtype: str, answer: str | None,
          synonyms: tuple[str, ...] = ()) -> QAPage:
    return QAPage(id=pid, source=source, format="medquad", question=question, origin=f"understand/{pid}",
                  answers=(Answer(text=answer),) if answer else (), topic=topic, question_type=qtype,
                  synonyms=synonyms)


PAGES = [
    _page("conj-info-mplus", "MPlusHealthTopics", "What is (are) Conjunctivitis ?", "Conjunctivitis", "information",
          "Conjunctivitis is swelling or infection of the membrane lining the eyelids. It is also called pinkeye."),
    _page("conj-info-adam", "ADAM", "What is (are) Conjunctivitis ?", "Conjunctivitis", "information",
          "The conjunctiva is a clear layer of tissue lining the eyelids and covering the white of the eye."),
    _page("conj-causes-stub", "ADAM", "What causes Conjunctivitis ?", "Conjunctivitis", "causes", None),
    _page("conj-treat", "ADAM", "What are the treatments for Conjunctivitis ?", "Conjunctivitis", "treatment",
          "Treatment depends on the cause. Allergic conjunctivitis may improve with allergy treatment."),
    _page("eye-infections", "MPlusHealthTopics", "What is (are) Eye Infections ?", "Eye Infections", "information",
          "Your eyes can get infections from bacteria, fungi or viruses. Pink eye is one of them; eye pain is common."),
    _page("dry-eye", "NIHSeniorHealth", "What is (are) Dry Eye ?", "Dry Eye", "information",
          "Dry eye occurs when the eye does not produce tears properly. A pink, irritated eye is common."),
    _page("chickenpox-info", "ADAM", "What is (are) Chickenpox ?", "Chickenpox", "information",
          "Chickenpox is a viral infection in which a person develops very itchy blisters all over the body."),
    _page("chickenpox-adults", "MPlusHealthTopics", "What are the complications of Chickenpox ?", "Chickenpox",
          "complications", "Adults who get chickenpox are more likely to have serious complications."),
    _page("rickettsialpox", "ADAM", "What is (are) Rickettsial pox ?", "Rickettsial pox", "information",
          "Rickettsial pox is a disease spread by a mite. It causes a pox-like rash. Pox pox pox."),
    _page("rickettsialpox-2", "ADAM", "How to diagnose Rickettsial pox ?", "Rickettsial pox", "exams and tests",
          "A pox rash and a blood test tell rickettsial pox from other pox diseases in adults."),
    _page("acetaminophen-dose", "MPlusDrugs", "How should Acetaminophen be used and what is the dosage ?",
          "Acetaminophen", "usage", "Take acetaminophen exactly as directed. Do not take more than the daily dose."),
    _page("acetaminophen-side", "MPlusDrugs", "What are the side effects or risks of Acetaminophen ?", "Acetaminophen",
          "side effects", "Acetaminophen may cause side effects such as rash or, in overdose, liver damage."),
    _page("ibuprofen-side", "MPlusDrugs", "What are the side effects or risks of Ibuprofen ?", "Ibuprofen",
          "side effects", "Ibuprofen may cause stomach pain, heartburn and, rarely, raise blood pressure."),
    _page("ibuprofen-info", "MPlusDrugs", "What other information should I know about Ibuprofen ?", "Ibuprofen",
          "other information", "Keep all appointments with your doctor. Ibuprofen is an NSAID."),
    _page("hbp-info-1", "NHLBI", "What is (are) High Blood Pressure ?", "High Blood Pressure", "information",
          "High blood pressure is a common disease in which blood flows through blood vessels at higher pressure."),
    _page("hbp-info-2", "NIHSeniorHealth", "What is (are) High Blood Pressure ?", "High Blood Pressure", "information",
          "Blood pressure is the force of blood pushing against the walls of arteries. High blood pressure is common."),
    _page("hbp-info-3", "MPlusHealthTopics", "What is (are) High Blood Pressure ?", "High Blood Pressure",
          "information", "Blood pressure that stays high over time is called hypertension, or high blood pressure."),
    _page("hbp-treat", "NHLBI", "What are the treatments for High Blood Pressure ?", "High Blood Pressure", "treatment",
          "Blood pressure medicines and lifestyle changes treat high blood pressure."),
    _page("ablation", "MPlusHealthTopics", "What is (are) Cardiac ablation procedures ?", "Cardiac ablation procedures",
          "information", "Cardiac ablation destroys a small area of heart tissue that causes an abnormal heart rhythm."),
    _page("urine-protein", "ADAM", "What is (are) 24-hour urine protein ?", "24-hour urine protein", "information",
          "This test measures the amount of protein released in the urine over 24 hours."),
    _page("bad-breath", "NIHSeniorHealth", "What is (are) Bad Breath ?", "Bad Breath", "information",
          "Bad breath, or halitosis, often comes from food stuck between the teeth."),
    _page("green-coffee", "MPlusHerbsSupplements", "How effective is Green Coffee ?", "Green Coffee",
          "how effective is it", "Green coffee beans are coffee seeds that have not been roasted; effects on the heart "
          "and blood pressure are being studied."),
    _page("diesel-oil", "ADAM", "Do you have information about Diesel oil", "Diesel oil", "information",
          "Diesel oil poisoning occurs when someone swallows diesel oil or breathes in its fumes."),
]


def build(data_dir: pathlib.Path) -> pathlib.Path:
    return build_index(data_dir, PAGES)
