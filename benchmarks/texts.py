"""Vocabulary for generated data: district and digital-equity sentences, plan goals, feedback, names.

Every sentence is plain text whose whitespace-separated tokens each contain a letter or digit, so the
word count of an essay is len(text.split()) and agrees with portal.text.count_words (which the tests check).
"""

import random

ESSAY_SENTENCES = [
    "About a third of our students finish homework on a phone because the family has no home internet.",
    "Our fall survey showed that 412 households share one device among three or more school-age children.",
    "The gap follows the rural bus routes, so where a student lives predicts access better than income alone.",
    "Teachers told us they stopped assigning online work after school because too many students could not do it.",
    "We mapped broadband coverage against enrollment and found two neighborhoods with no wired provider at all.",
    "Families in the apartments near the river rely on prepaid data plans that run out before the month ends.",
    "Students who ride the late bus arrive home after the public library has already closed for the day.",
    "The district lent 1,800 laptops last year, but one in five came back with a broken screen or charger.",
    "Many parents told us they did not know the district offered hotspots until a teacher mentioned it.",
    "Our English learners are the group most affected, because their families rarely see our notices in time.",
    "Principals at the three middle schools reported the same pattern of missing assignments on Monday mornings.",
    "The counselors were the first to notice that students were sitting in fast-food parking lots to use wifi.",
    "We learned that device access and connectivity are different problems and need different solutions.",
    "A working laptop does little good when the only connection at home is a phone with a small data plan.",
    "We compared assignment completion rates for students with and without reliable home internet.",
    "The difference was twelve percentage points in grade six and nearly twenty points by grade nine.",
    "Our data come from the family survey, the device inventory, and the help desk tickets from last year.",
    "We chose these sources because each one shows a different part of the picture in our district.",
    "The survey reached 86 percent of families after we added paper copies and calls in Spanish and Vietnamese.",
    "Digital skills matter too, since several parents said they could not help with the learning platform.",
    "Support at home is uneven, and students whose parents work evening shifts often manage alone.",
    "The technology department answered 2,300 help requests from families, most of them about passwords.",
    "Our librarians became an important link, because families already trust them and visit every week.",
    "We saw that cost is the main barrier in town while coverage is the main barrier in the outlying areas.",
    "The most important lesson for me was to ask families directly instead of guessing what they need.",
    "I had assumed that devices were the biggest need, but the survey showed that connectivity matters more.",
    "Working with the principals changed how I present data, since they wanted numbers for their own schools.",
    "Next year we will repeat the survey in the same month so that we can compare the results fairly.",
    "I now see digital equity as part of our instructional plan rather than a separate technology project.",
    "The conversations with students were the most useful part, because they described obstacles we had missed.",
    "One student explained that she downloads videos at school so that she can watch them offline at home.",
    "Our board asked for a short summary, so we prepared a one-page brief with the three key findings.",
    "The cabinet agreed to treat home access as a standing item on the monthly leadership agenda.",
    "We will share the findings with the city council because broadband expansion needs their support.",
    "This work showed me how much our teachers already know about the barriers their students face.",
    "I learned to present the gap in terms of learning time lost rather than in terms of equipment.",
    "The hardest part was getting honest answers from families who worried about being judged.",
    "We built trust by holding the listening sessions at the community center instead of the school.",
    "Our next step is to connect the findings to the budget so that the response lasts beyond one year.",
    "The data also showed a gap in assistive technology for students with disabilities at two schools.",
    "Some families have a connection but cannot pay for it every month, so their access comes and goes.",
    "We divided the district into five zones to see where the needs overlap and where they differ.",
    "Each school team reviewed its own numbers and added notes about the families behind them.",
    "A parent advisory group reviewed our draft and pointed out two questions that were hard to understand.",
    "The local internet provider shared coverage maps once we explained how the data would be used.",
    "Our students with the least access are also the ones who move between schools most often.",
    "I will keep a simple dashboard of the three measures so that the board can follow our progress.",
    "We now include a question about home access in every new student registration form.",
    "The regional service center offered to help us compare our numbers with similar districts.",
    "What surprised me most was how many teachers were paying for student hotspots themselves.",
]

PLAN_GOALS = [
    "Every student has home internet that can carry a video lesson.",
    "Every student in grades three to twelve has a working device at home.",
    "Families know how to get help with devices, accounts and connections.",
    "Teachers design homework that works with limited or no connectivity.",
    "Students with disabilities have the assistive technology they need at home.",
    "Families can reach free wifi within a short walk of every school.",
    "Parents can use the learning platform to follow their child's progress.",
    "Broken devices are repaired or replaced within three school days.",
    "Students who move between schools keep their device and their accounts.",
    "Community partners share one map of free and low-cost internet options.",
]
PLAN_FIELDS = {
    "action_steps": [
        "Survey families each fall; lend hotspots; negotiate a low-cost plan with the local provider.",
        "Train school office staff to enroll families in the federal broadband benefit during registration.",
        "Extend library hours on two evenings and open school parking lots as wifi zones.",
        "Hold family technology nights at each school with interpreters and child care.",
        "Create a device repair desk staffed by student technicians at the high school.",
        "Publish a one-page guide to home internet options in the five most common home languages.",
        "Ask teachers to mark which assignments need a connection and offer an offline option.",
    ],
    "timelines": [
        "Survey in September; hotspots by October; provider agreement by January.",
        "Planning in the spring; pilot at two schools in the fall; district-wide the following year.",
        "Monthly check-ins with principals; a progress report to the board each quarter.",
        "Training completed before the first day of school; review of results in December.",
        "First family nights in October and February; guide translated by the end of August.",
    ],
    "team_members": [
        "Director of technology, two principals, family liaison.",
        "Assistant superintendent for instruction, librarian, help desk lead.",
        "Special education coordinator, school counselors, data analyst.",
        "Communications officer, English learner program director, parent representative.",
        "Curriculum coordinators, instructional coaches, a student representative.",
    ],
    "partners": [
        "County library, regional internet provider, parent-teacher association.",
        "City council, housing authority, local community college.",
        "Regional service center, a nonprofit refurbisher, faith-based organizations.",
        "Chamber of commerce, public health department, after-school programs.",
        "Neighborhood associations, the public housing resident council, a local foundation.",
    ],
    "measurable_outcomes": [
        "Share of students reporting reliable home access rises from 68% to 90% by June.",
        "Device repair turnaround falls from nine days to three days within one year.",
        "Homework completion gap between connected and unconnected students halves by spring.",
        "At least 75% of families attend one technology night or use the guide by May.",
        "Help desk tickets about passwords drop by 40% after the family training sessions.",
    ],
}

FEEDBACK_YES = [
    "Clear and specific, with local data that supports each point.",
    "A thoughtful answer that connects the evidence to the district's students.",
    "Meets the criterion: the barriers and the students affected are both named.",
    "Well organized; the figures make the problem concrete.",
    "",
    "",
]
FEEDBACK_NOT_YET = [
    "Say what you learned about your district, not only what you did.",
    "Name at least two sources of local data and explain what each one shows.",
    "Explain which students and families each barrier affects most, with evidence.",
    "The timelines need dates or terms, so the team can tell whether a step is late.",
    "The measurable outcomes should state a starting point and a target.",
    "Describe how the stakeholders took part, not only who they are.",
    "The answer describes the plan in general terms; tie it to the needs you identified.",
]

FIRST_NAMES = [
    "Dana", "Sam", "Lee", "Priya", "Jordan", "Morgan", "Alex", "Kim", "Ruth", "Maria", "James", "Aisha", "Chen",
    "Lucia", "Omar", "Grace", "Diego", "Hannah", "Kofi", "Mei", "Noah", "Fatima", "Ethan", "Rosa", "Tariq", "Emma",
    "Luis", "Nadia", "Owen", "Sofia", "Yusuf", "Claire", "Mateo", "Leila", "Ben", "Ana", "Ravi", "Joy", "Ivan",
    "Tamika", "Hiro", "Elena", "Marcus", "Ines", "Kwame", "Lina", "Paul", "Zara", "Tom", "Beatriz",
]
LAST_NAMES = [
    "Whitfield", "Ortega", "Park", "Raman", "Ellis", "Lee", "Rivera", "Nguyen", "Okafor", "Garcia", "Smith",
    "Johnson", "Chen", "Patel", "Williams", "Kim", "Hernandez", "Brown", "Lopez", "Davis", "Martinez", "Wilson",
    "Anderson", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Hall", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Hill", "Flores", "Green", "Adams", "Baker",
    "Nelson", "Carter", "Mitchell", "Perez", "Roberts",
]
PLACES = [
    "Riverside", "Mesa County", "Lakeview", "Harbor City", "Cedar Falls", "Pine Valley", "Oak Ridge", "Fairview",
    "Maple Grove", "Clearwater", "Brookfield", "Springdale", "Westbrook", "Granite Bay", "Elm Creek", "Sunnyvale",
    "Red Rock", "Silver Lake", "Northfield", "Greenwood", "Bayside", "Hillcrest", "Stonebridge", "Willow Bend",
    "Eagle Point", "Prairie View", "Copper Hills", "Blue Ridge", "Millbrook", "Ashford",
]
DISTRICT_KINDS = [
    "Unified School District", "Public Schools", "County Schools", "Independent School District",
    "Charter Network", "Area Schools",
]
DISTRICT_ROLES = [
    "Director of Technology", "Chief Academic Officer", "Assistant Superintendent", "Principal",
    "Instructional Technology Coach", "Equity Coordinator", "Library Media Specialist", "Curriculum Director",
]


def word_count(text: str) -> int:
    return len(text.split())


def essay(rng: random.Random, low: int = 130, high: int = 200) -> str:
    """Sentences from ESSAY_SENTENCES until the essay has between low and high words, in 2-3 paragraphs."""
    target = rng.randint(low, high)
    chosen, words = [], 0
    for sentence in rng.sample(ESSAY_SENTENCES, 24):  # 24 sentences hold far more than 230 words
        n = word_count(sentence)
        if words + n > high:
            continue
        chosen.append(sentence)
        words += n
        if words >= target:
            break
    if words < low:  # the pool is large enough that this never happens with the default limits
        raise ValueError(f"could not build an essay of {low}-{high} words")
    if rng.random() < 0.3:  # some emphasis, as educators write it; does not change the word count
        i = rng.randrange(len(chosen))
        first, _, rest = chosen[i].partition(" ")
        chosen[i] = f"**{first}** {rest}"
    paragraphs = rng.choice((2, 3))
    cut = [round(len(chosen) * k / paragraphs) for k in range(paragraphs + 1)]
    return "\n\n".join(" ".join(chosen[cut[k]:cut[k + 1]]) for k in range(paragraphs) if cut[k] < cut[k + 1])


def goal(rng: random.Random, field_keys: list[str]) -> dict:
    """A plan goal with its statement and every field the part asks for."""
    values = {"statement": rng.choice(PLAN_GOALS)}
    for key in field_keys:
        options = PLAN_FIELDS.get(key) or ["To be agreed with the district team."]
        values[key] = rng.choice(options)
    return values


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def organization_names(count: int, rng: random.Random) -> list[str]:
    """count distinct district names ("Riverside Unified School District", "Cedar Falls Public Schools 2" ...)."""
    names = [f"{place} {kind}" for place in PLACES for kind in DISTRICT_KINDS]
    rng.shuffle(names)
    out = names[:count]
    n = 2
    while len(out) < count:
        out += [f"{name} {n}" for name in names[: count - len(out)]]
        n += 1
    return out
