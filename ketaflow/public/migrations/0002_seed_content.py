"""Seed the public pages and FAQ so a fresh install has content. Managers edit them at /staff/content/.

Written in Ketaflow's own words from the sources listed in docs/public-site.md. Re-running is safe: rows
that already exist (by slug or question) are left as the clinic edited them.
"""

from django.db import migrations

PAGES = [
    {
        "slug": "what-is-ketamine",
        "order": 10,
        "title": "What ketamine is",
        "summary": "A long-established anaesthetic that, in much smaller doses, is also used today for some "
        "long-lasting pain and for depression that other treatments have not helped.",
        "body": """Ketamine is a medicine doctors have used for anaesthesia for more than fifty years. For pain and depression it is given in doses far below an anaesthetic dose, so you stay awake throughout.

## A short history

- **1970:** ketamine is approved in the United States as an anaesthetic, and it is still used in operating rooms and emergency departments.
- **Later:** pain specialists find that small doses can ease some kinds of long-lasting pain. In 2018 three US anaesthesia and pain societies published joint guidelines on ketamine infusions for chronic pain.
- **From the 2000s:** studies show that one low-dose infusion can lift depression within a day in some people whom antidepressants had not helped. In 2017 a task force of the American Psychiatric Association published a consensus statement on its use.
- **2019:** esketamine, a nasal spray made from one half of the ketamine molecule, is approved for depression that has not responded to other treatment. Since 2025 it may be used with or without an antidepressant tablet.

## The forms of ketamine

- **IV infusion:** a slow drip into a vein, run by a pump. The dose is exact and can be slowed or stopped at any moment.
- **Injection:** into a muscle or under the skin.
- **Lozenge:** dissolved in the mouth, usually made up by a compounding pharmacy.
- **Nasal spray:** esketamine (SPRAVATO). It is only used in certified clinics, under an FDA safety programme, with at least two hours of observation afterwards.

## Why most of the evidence is for IV infusions

Most research on ketamine for pain and depression used IV infusions, because the amount that reaches the blood is known and can be adjusted minute by minute. Lozenges and injections are absorbed less predictably, and far fewer studies have tested them. Esketamine nasal spray is the exception: it was tested in large trials before it was approved.

Want to know if it could suit you? Try our [self-screening](/screening/) or read the [frequently asked questions](/faq/).""",
    },
    {
        "slug": "chronic-pain",
        "order": 20,
        "title": "Ketamine for chronic pain",
        "summary": "A series of infusions for long-lasting pain that has not eased enough with other treatments. "
        "How long relief lasts differs from person to person.",
        "body": """Ketamine works on the nervous system in a different way from the usual pain medicines. For some people with long-lasting pain it brings relief when other treatments have not helped enough.

## Conditions we treat

- Arthritis
- Long-term neck and back pain
- Complex regional pain syndrome (CRPS)
- Fibromyalgia
- Headaches, including migraine
- Neuropathy (nerve pain)
- Post-herpetic neuralgia (pain that stays after shingles)
- Trigeminal neuralgia (a severe face pain)

The research is strongest for CRPS. For most other conditions the studies are smaller and mostly show short-term relief, so your doctor will talk honestly with you about what to expect for your own condition.

## A series of infusions

Pain treatment is usually a **series** of infusions on several days, rather than a single one. Pain infusions often take longer than the 40-minute infusion used for depression; research suggests that larger total doses and longer infusions work better. Your doctor plans the series with you.

## How long relief lasts

It varies a great deal. Some people have relief for about a month, others for several months, and some for close to a year. Some people do not benefit. When a series helps, a further "booster" infusion can be planned for when the pain starts to come back.

## Before you start

Ketamine is usually tried after other treatments, such as medicines, physical therapy or injections. Bring a list of your medicines to your consultation. If you have heart disease or liver problems, your doctor may ask for a heart tracing (ECG) or blood tests first.""",
    },
    {
        "slug": "depression",
        "order": 30,
        "title": "Ketamine for depression",
        "summary": "For depression that has not eased enough after two or more antidepressants: esketamine nasal "
        "spray is usually the first option, and IV ketamine is used when a doctor recommends it.",
        "body": """## Who it is for

Ketamine treatments are meant for people whose depression has not improved enough after trying **at least two different antidepressants**, each taken at a full dose for long enough. Doctors often call this treatment-resistant depression.

## Esketamine nasal spray is usually the first option

Esketamine (SPRAVATO) is approved by the FDA for treatment-resistant depression. You use the spray yourself in the clinic while a nurse watches, and you stay with us for at least two hours afterwards, as the FDA safety programme requires. Treatment usually starts twice a week for four weeks, then becomes weekly, and later weekly or every other week.

## IV ketamine when a doctor recommends it

IV ketamine is not FDA-approved for depression (it is used "off-label"), but it has been tested in controlled trials and a psychiatric task force has written guidance on using it. A doctor may recommend it, for example when esketamine is not suitable or has not helped.

- The usual dose is 0.5 mg for each kilogram of body weight, given slowly over about 40 minutes.
- A first course is often up to six infusions over two to three weeks.
- In one study of such a course, about seven in ten people had a clear improvement by the end. For many of them the benefit faded within weeks, so any further treatment is planned with your doctor.

## Keep your usual care

Keep seeing the people who look after your mental health, and do not stop any medicine without talking to your doctor. If you are thinking about suicide, call or text [988](tel:988) now, or call [911](tel:911) in an emergency.""",
    },
    {
        "slug": "what-to-expect",
        "order": 40,
        "title": "What to expect on treatment day",
        "summary": "An outpatient visit: about 40 minutes of infusion, a rest until you are ready to leave, and "
        "an adult to drive you home.",
        "body": """## Before you come

- **Arrange a driver.** An adult must take you home. You cannot drive yourself.
- **Plan a quiet day.** Do not drive, use machinery or make important decisions until the next day, after a night's sleep.
- We will tell you when to stop eating and drinking beforehand. For esketamine nasal spray this is usually no food for two hours and no drinks for 30 minutes before.

## During the infusion

- It is an outpatient visit: you go home the same day.
- You sit in a reclining chair in a quiet room while a nurse places a small drip in your arm.
- An infusion for depression takes **about 40 minutes**. Pain infusions are often longer; we will tell you how long yours will be.
- We check your blood pressure, heart rate and oxygen level throughout. Blood pressure often rises a little during the infusion and settles afterwards.
- Many people feel floaty, dreamy or detached from their surroundings. This wears off after the infusion.

## Afterwards

- You rest with us until you are ready to leave. How long that takes depends on your dose and on how you respond, and a nurse checks you before you go. After esketamine nasal spray the wait is always at least two hours.
- Your driver takes you home.
- No driving until the next day.""",
    },
]

FAQ = [
    (
        10,
        "Will I be asleep during the infusion?",
        "No. The doses used for pain and depression are far below the doses used for anaesthesia, so you stay "
        "awake. Many people feel relaxed, dreamy or a little detached while the medicine is running.",
    ),
    (
        20,
        "How long does a visit take?",
        "A depression infusion takes about 40 minutes. Pain infusions are often longer. After the infusion you "
        "rest until you are ready to leave: how long depends on the dose and on how you respond. After "
        "esketamine nasal spray we watch you for at least two hours.",
    ),
    (
        30,
        "Can I drive myself home?",
        "No. An adult needs to drive you home, and you should not drive until the next day, after a night's "
        "sleep.",
    ),
    (
        40,
        "How many treatments will I need?",
        "For depression, a first course of IV ketamine is often up to six infusions over two to three weeks; "
        "esketamine nasal spray starts twice a week. For pain, treatment is a series of infusions planned with "
        "your doctor. After that, further treatment depends on how well and how long it helps you.",
    ),
    (
        50,
        "How long does the relief last?",
        "It differs from person to person. For chronic pain, relief can last from about a month to nearly a "
        "year, and some people do not benefit. For depression, the benefit of a first course often fades "
        "within weeks unless further treatment is planned.",
    ),
    (
        60,
        "Is ketamine treatment safe?",
        "Our anaesthesia team gives every treatment and monitors your blood pressure, heart rate and oxygen "
        "level throughout. The common effects (feeling detached, nausea, dizziness and a short rise in blood "
        "pressure) usually settle soon after the infusion. In one report of 684 infusions for depression, none "
        "had to be stopped because of changes in blood pressure or heart rate.",
    ),
    (
        70,
        "Who should not have ketamine?",
        "A doctor needs to look carefully first if you are pregnant, have high blood pressure that is not "
        "under control, have had psychosis, are misusing alcohol or drugs, or recently had a heart attack or "
        "stroke. These do not always rule treatment out, but they change what is safe. Our "
        "[self-screening](/screening/) explains each one.",
    ),
    (
        80,
        "Is the self-screening a diagnosis?",
        "No. It only suggests whether a consultation may be worthwhile. Only a clinician who knows your "
        "history can say whether ketamine is right for you. Your answers are not stored unless you choose to "
        "share them.",
    ),
    (
        90,
        "Does insurance cover it?",
        "It depends on your plan. Esketamine nasal spray is FDA-approved for depression; IV ketamine for "
        "depression or pain is used off-label, and coverage varies. Call either location and we will help "
        "you check.",
    ),
    (
        100,
        "What if I am thinking about suicide?",
        "Please do not wait for an appointment. Call or text [988](tel:988), the Suicide & Crisis Lifeline, "
        "any time, or call [911](tel:911) if you are in danger now.",
    ),
]


def seed(apps, schema_editor):
    ContentPage = apps.get_model("public", "ContentPage")
    FaqEntry = apps.get_model("public", "FaqEntry")
    for page in PAGES:
        ContentPage.objects.get_or_create(slug=page["slug"], defaults={**page, "published": True})
    for order, question, answer in FAQ:
        FaqEntry.objects.get_or_create(
            question=question, defaults={"answer": answer, "order": order, "published": True}
        )


def unseed(apps, schema_editor):
    apps.get_model("public", "ContentPage").objects.filter(slug__in=[p["slug"] for p in PAGES]).delete()
    apps.get_model("public", "FaqEntry").objects.filter(question__in=[q for _, q, _ in FAQ]).delete()


class Migration(migrations.Migration):
    dependencies = [("public", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
