"""A small, hand-written catalogue in the ``../shared/data`` layout, for the unit tier.

Why: the real catalogue takes minutes to ingest and its features minutes more to build, so a test
that only needs *a* catalogue (the API, the explainer, the skill gap, ingest itself) should not pay
for the real one. Every text here is written for the tests (no row is copied from the real data);
only the file names, the column names and the O*NET-SOC / ESCO identifier formats follow the real
sources, because ingestion finds and reads files by exactly those. The files are written with the
real sources' quirks that the loaders handle: O*NET's unquoted TSV, Glassdoor's unnamed first
column and "Company\\n3.8" rating suffix, Coursera's ``{" tag"," tag"}`` skill lists, duplicate
Udemy ids, a duplicated Google posting, "NA" fields, a suppressed and a not-relevant O*NET rating.

Deterministic: the same files byte for byte on every run (no clock, a fixed seed), so the
catalogue fingerprint, and every artifact keyed by it, is stable across test sessions.

Size: 34 O*NET occupations in six families, 10 rated O*NET skills and 6 knowledge areas, ~40
technology skills, 10 ESCO occupations and 32 ESCO skills, 17 courses, 13 postings, 12 logged jobs
with 10 applicants. Ingest takes about a second, `waypoint build` on it 5-20 s.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from pathlib import Path

# ---------------------------------------------------------------------------------------------- ids
# Occupations the unit tests refer to by name.
NURSE = "29-1141.00"
NURSE_PRACTITIONER = "29-1171.00"
HEALTH_ED = "21-1091.00"
SOFTWARE_DEV = "15-1252.00"
DATA_SCIENTIST = "15-2051.00"
WEB_DEV = "15-1254.00"
ELECTRICIAN = "47-2111.00"
ACCOUNTANT = "13-2011.00"
TEACHER = "25-2021.00"
UNRATED = "29-1299.00"  # an "All Other" code: a title and a description, no ratings, tasks or links
HELD_OUT = (WEB_DEV, "47-2031.00", "25-4022.00")  # rated but absent from Related Occupations (like the dev split)

# family -> [(code, title, description, [tasks], [alternate titles], reported title, job zone)]
OCCUPATIONS: dict[str, list[tuple[str, str, str, list[str], list[str], str, int]]] = {
    "health": [
        (NURSE, "Registered Nurses",
         ("Assess patient health problems and needs, develop and carry out nursing care plans, and keep medical "
         "records. Teach patients and families how to manage illness and recovery."),
         ["Monitor and record patient condition, vital signs and medication.",
          "Teach patients and their families about managing illness, diet and medication.",
          "Keep accurate medical records of care given and patient responses."],
         ["Staff Nurse", "RN"], "Charge Nurse", 3),
        (NURSE_PRACTITIONER, "Nurse Practitioners",
         ("Diagnose and treat acute and chronic illness within an advanced nursing scope, prescribe medication "
         "and order diagnostic tests."),
         ["Diagnose illness and prescribe medication or treatment.",
          "Order and interpret diagnostic tests such as laboratory work and imaging.",
          "Educate patients about disease prevention and healthy living."],
         ["Family Nurse Practitioner", "Advanced Practice Nurse"], "NP", 5),
        ("29-2061.00", "Licensed Practical and Licensed Vocational Nurses",
         "Care for ill, injured or convalescing patients under the direction of registered nurses and physicians.",
         ["Measure vital signs and report changes in patient condition.",
          "Administer prescribed medication and change dressings.",
          "Help patients with bathing, dressing and personal hygiene."],
         ["LPN", "Vocational Nurse"], "Licensed Practical Nurse", 3),
        ("31-1131.00", "Nursing Assistants",
         "Provide basic patient care under the direction of nursing staff in hospitals and care homes.",
         ["Turn and reposition bedridden patients.", "Feed patients and record food intake.",
          "Answer patient call signals and report concerns to nurses."],
         ["Certified Nursing Assistant", "Patient Care Assistant"], "CNA", 2),
        ("29-1051.00", "Pharmacists",
         "Dispense prescribed drugs and advise patients and prescribers on the safe use of medication.",
         ["Review prescriptions for accuracy and drug interactions.",
          "Advise patients about dosage, side effects and storage of medication.",
          "Keep records of prescriptions and controlled drugs."],
         ["Clinical Pharmacist", "Retail Pharmacist"], "Staff Pharmacist", 5),
        ("29-2052.00", "Pharmacy Technicians",
         "Prepare medications under the direction of a pharmacist and keep pharmacy stock and records.",
         ["Count, measure and label prescribed medication.", "Maintain inventory of drugs and supplies.",
          "Enter prescription and patient data into the pharmacy computer system."],
         ["Pharmacy Tech", "Certified Pharmacy Technician"], "Pharmacy Assistant", 3),
        ("29-1123.00", "Physical Therapists",
         "Plan and carry out treatment to restore movement and reduce pain for patients with injuries or disease.",
         ["Assess patient mobility, strength and range of motion.",
          "Plan exercise programs and teach patients how to do them at home.",
          "Record patient progress and adjust treatment plans."],
         ["Physiotherapist", "PT"], "Rehabilitation Therapist", 5),
        (UNRATED, "Healthcare Diagnosing or Treating Practitioners, All Other",
         "All healthcare diagnosing or treating practitioners not listed separately.", [], [], "", 0),
    ],
    "community": [
        (HEALTH_ED, "Health Education Specialists",
         ("Provide and manage health education programs that help people and communities adopt healthy "
         "behaviours. Collect and analyse data to plan community health programs."),
         ["Plan and run health education classes and community workshops.",
          "Develop educational materials about disease prevention and healthy living.",
          "Collect and analyse data about community health needs."],
         ["Health Educator", "Community Health Educator"], "Diabetes Educator", 4),
        ("21-1094.00", "Community Health Workers",
         ("Help people in their communities find health care and information, and report community health needs "
         "to health educators."),
         ["Visit families to share information about health services.",
          "Help people enrol in health programmes and benefits.",
          "Record community health needs and report them to health educators."],
         ["Community Health Advocate", "Outreach Worker"], "Health Outreach Worker", 3),
        ("21-1021.00", "Child, Family, and School Social Workers",
         "Support children and families to improve their social and psychological wellbeing.",
         ["Counsel children and families about social problems.", "Refer families to community resources.",
          "Keep case records and write reports."],
         ["Family Social Worker", "School Social Worker"], "Case Manager", 4),
    ],
    "computing": [
        (SOFTWARE_DEV, "Software Developers",
         ("Research, design and develop computer software and applications. Write and test code, and work with "
         "teams to plan features and fix defects."),
         ["Write, test and debug application code in languages such as Python or Java.",
          "Design software architecture and review other developers' code.",
          "Work with users to gather requirements and plan releases."],
         ["Software Engineer", "Application Developer"], "Backend Developer", 4),
        ("15-1253.00", "Software Quality Assurance Analysts and Testers",
         "Develop and run software tests to find defects and check that software meets its requirements.",
         ["Write automated test scripts and run regression tests.", "Document software defects and track fixes.",
          "Review requirements and design test plans."],
         ["QA Engineer", "Software Tester"], "Test Automation Engineer", 4),
        (WEB_DEV, "Web Developers",
         "Design, build and maintain websites and web applications, including their look, speed and capacity.",
         ["Write front-end code in JavaScript, HTML and CSS.", "Build and maintain web servers and APIs.",
          "Test websites in different browsers and fix layout problems."],
         ["Front End Developer", "Web Programmer"], "Full Stack Developer", 3),
        (DATA_SCIENTIST, "Data Scientists",
         "Develop and apply statistical and machine learning methods to analyse data and build predictive models.",
         ["Clean and analyse large data sets with Python and SQL.",
          "Build machine learning models and evaluate their accuracy.",
          "Present findings and data visualisations to managers."],
         ["Machine Learning Scientist", "Data Analyst"], "Quantitative Analyst", 5),
        ("15-1242.00", "Database Administrators",
         "Administer, test and secure databases, and plan their capacity, backup and recovery.",
         ["Write and tune SQL queries and database indexes.", "Plan and test database backup and recovery.",
          "Control user access and database security."],
         ["DBA", "Database Engineer"], "SQL Server DBA", 4),
        ("15-1211.00", "Computer Systems Analysts",
         "Analyse how an organisation uses computer systems and design improvements to meet its needs.",
         ["Interview users to define system requirements.", "Prepare cost-benefit analyses of new systems.",
          "Test and document system changes."],
         ["Systems Analyst", "Business Systems Analyst"], "IT Analyst", 4),
        ("15-1232.00", "Computer User Support Specialists",
         "Help computer users with hardware and software problems in person, by phone or remotely.",
         ["Answer user questions about software and hardware.", "Install and configure computer software.",
          "Keep records of support requests and their resolution."],
         ["Help Desk Technician", "IT Support Specialist"], "Desktop Support Technician", 3),
        ("15-1212.00", "Information Security Analysts",
         "Plan and carry out security measures to protect computer networks and systems.",
         ["Monitor networks for security breaches and investigate incidents.",
          "Install firewalls and encryption software.", "Run penetration tests and report vulnerabilities."],
         ["Security Analyst", "Cyber Security Analyst"], "SOC Analyst", 4),
    ],
    "education": [
        (TEACHER, "Elementary School Teachers, Except Special Education",
         "Teach pupils in elementary schools basic academic and social skills in reading, writing and arithmetic.",
         ["Plan lessons and prepare classroom materials.", "Assess pupils' progress and report to parents.",
          "Manage classroom behaviour and keep a safe learning environment."],
         ["Primary School Teacher", "Grade School Teacher"], "Third Grade Teacher", 4),
        ("25-2031.00", "Secondary School Teachers, Except Special and Career/Technical Education",
         "Teach one or more subjects to students in secondary schools.",
         ["Prepare lessons and grade assignments and exams.", "Explain subject matter to students in class.",
          "Meet parents to discuss student progress."],
         ["High School Teacher", "Mathematics Teacher"], "Science Teacher", 4),
        ("25-9031.00", "Instructional Coordinators",
         "Develop curricula, select teaching materials and train teachers to use them.",
         ["Develop curricula and instructional materials.", "Train teachers in new teaching methods.",
          "Analyse student test data to evaluate programs."],
         ["Curriculum Specialist", "Instructional Designer"], "Curriculum Coordinator", 5),
        ("25-4022.00", "Librarians and Media Collections Specialists",
         "Manage library collections and help people find information and use library resources.",
         ["Help patrons find books and information.", "Catalogue and organise library materials.",
          "Teach classes on research and information literacy."],
         ["Librarian", "Media Specialist"], "Reference Librarian", 5),
    ],
    "business": [
        (ACCOUNTANT, "Accountants and Auditors",
         "Examine, analyse and interpret accounting records to prepare financial statements and give advice.",
         ["Prepare financial statements and tax returns.", "Audit accounts for accuracy and compliance.",
          "Analyse financial data in spreadsheets."],
         ["CPA", "Staff Accountant"], "Auditor", 4),
        ("13-1161.00", "Market Research Analysts and Marketing Specialists",
         "Research market conditions to understand what products people want and at what price.",
         ["Design surveys and analyse market data.", "Prepare reports and presentations of findings.",
          "Monitor sales trends and competitors."],
         ["Market Analyst", "Marketing Specialist"], "Market Researcher", 4),
        ("43-4051.00", "Customer Service Representatives",
         "Answer customer questions, handle complaints and process orders by phone, email or in person.",
         ["Answer customer questions about products and services.", "Resolve complaints and issue refunds.",
          "Record customer interactions in the computer system."],
         ["Call Center Agent", "Customer Care Representative"], "Client Services Representative", 2),
        ("43-6014.00", "Secretaries and Administrative Assistants, Except Legal, Medical, and Executive",
         "Perform routine administrative work such as scheduling, correspondence and filing.",
         ["Schedule appointments and manage calendars.", "Prepare letters and documents in word processing software.",
          "Answer phones and direct visitors."],
         ["Office Assistant", "Administrative Secretary"], "Receptionist", 2),
        ("11-3031.00", "Financial Managers",
         "Plan, direct and coordinate the financial activities of an organisation, including budgets and reports.",
         ["Prepare budgets and financial forecasts.", "Supervise accounting staff.",
          "Present financial reports to executives."],
         ["Finance Director", "Controller"], "Treasurer", 5),
    ],
    "trades": [
        (ELECTRICIAN, "Electricians",
         "Install, maintain and repair electrical wiring, equipment and fixtures in buildings.",
         ["Install electrical wiring and lighting following building codes.",
          "Read blueprints and technical diagrams.", "Test electrical systems and repair faults."],
         ["Journeyman Electrician", "Wireman"], "Maintenance Electrician", 3),
        ("47-2152.00", "Plumbers, Pipefitters, and Steamfitters",
         "Assemble, install and repair pipes and fittings that carry water, steam or gas.",
         ["Install pipes and plumbing fixtures.", "Read blueprints to plan pipe layouts.",
          "Repair leaks and test systems for pressure."],
         ["Plumber", "Pipefitter"], "Service Plumber", 3),
        ("49-9021.00", "Heating, Air Conditioning, and Refrigeration Mechanics and Installers",
         "Install and repair heating, air conditioning and refrigeration systems.",
         ["Install heating and cooling units and ductwork.", "Test and repair electrical controls.",
          "Service refrigeration equipment."],
         ["HVAC Technician", "Refrigeration Mechanic"], "HVAC Installer", 3),
        ("47-2031.00", "Carpenters",
         "Build, install and repair structures and fixtures made of wood and other materials.",
         ["Measure, cut and join timber.", "Read blueprints and building plans.", "Install doors, windows and stairs."],
         ["Joiner", "Framer"], "Finish Carpenter", 2),
        ("53-3032.00", "Heavy and Tractor-Trailer Truck Drivers",
         "Drive trucks with a capacity of at least 26,000 pounds to move goods over long distances.",
         ["Drive long distances on scheduled routes.", "Inspect the truck before and after trips.",
          "Keep logs of hours and deliveries."],
         ["Truck Driver", "Long Haul Driver"], "Tractor Trailer Driver", 2),
        ("47-1011.00", "First-Line Supervisors of Construction Trades and Extraction Workers",
         "Directly supervise and coordinate the work of construction trade workers.",
         ["Assign work to crews and check its quality.", "Read blueprints and estimate materials.",
          "Train workers in safety rules."],
         ["Construction Foreman", "Site Supervisor"], "Crew Leader", 3),
    ],
}

# O*NET skill and knowledge elements (id, name, description) and each family's importance profile.
SKILL_ELEMENTS = [
    ("2.A.1.a", "Reading Comprehension", "Understanding written sentences and paragraphs in work-related documents."),
    ("2.A.1.b", "Active Listening", "Giving full attention to what other people are saying and asking questions."),
    ("2.A.1.c", "Writing", "Communicating effectively in writing as appropriate for the needs of the audience."),
    ("2.A.1.e", "Mathematics", "Using mathematics to solve problems."),
    ("2.A.2.a", "Critical Thinking", "Using logic and reasoning to weigh alternative solutions."),
    ("2.B.1.a", "Social Perceptiveness", "Being aware of others' reactions and understanding why they react as they do."),
    ("2.B.1.e", "Instructing", "Teaching others how to do something."),
    ("2.B.3.e", "Programming", "Writing computer programs for various purposes."),
    ("2.B.3.l", "Troubleshooting", "Finding causes of operating errors and deciding what to do about them."),
    ("2.B.3.m", "Repairing", "Repairing machines or systems using the needed tools."),
]
KNOWLEDGE_ELEMENTS = [
    ("2.C.1.a", "Administration and Management", "Business and management principles for planning and leading."),
    ("2.C.3.a", "Computers and Electronics", "Circuit boards, processors, chips, computer hardware and software."),
    ("2.C.4.a", "Mathematics", "Arithmetic, algebra, geometry, calculus, statistics and their applications."),
    ("2.C.5.a", "Medicine and Dentistry", "Information and techniques needed to diagnose and treat illness."),
    ("2.C.6", "Education and Training", "Principles and methods for curriculum design, teaching and instruction."),
    ("2.C.3.d", "Building and Construction", "Materials, methods and tools for construction or repair of buildings."),
]
# importance 1..5 per element, in the order above, by family
SKILL_PROFILE = {
    "health": [4.0, 4.5, 3.5, 2.5, 4.0, 4.5, 4.0, 1.2, 2.0, 1.3],
    "community": [4.2, 4.3, 4.5, 3.4, 4.0, 4.4, 4.7, 1.2, 1.6, 1.1],
    "computing": [4.0, 3.5, 3.5, 3.8, 4.2, 2.5, 2.8, 4.6, 4.3, 2.0],
    "education": [4.2, 4.4, 4.0, 3.0, 3.8, 4.2, 4.8, 1.5, 2.0, 1.2],
    "business": [4.0, 4.0, 3.8, 3.9, 4.0, 3.5, 3.0, 1.5, 2.5, 1.2],
    "trades": [3.0, 3.2, 2.5, 3.0, 3.4, 2.5, 2.8, 1.3, 4.2, 4.4],
}
KNOWLEDGE_PROFILE = {
    "health": [2.5, 2.5, 2.5, 4.6, 3.8, 1.2],
    "community": [4.0, 3.8, 3.4, 2.0, 4.8, 1.2],
    "computing": [2.8, 4.8, 3.8, 1.2, 2.8, 1.2],
    "education": [2.5, 2.8, 3.2, 1.5, 4.8, 1.2],
    "business": [4.2, 3.2, 4.0, 1.2, 2.8, 1.2],
    "trades": [2.6, 3.2, 3.4, 1.2, 2.8, 4.6],
}
RIASEC = ["Realistic", "Investigative", "Artistic", "Social", "Enterprising", "Conventional"]
INTERESTS = {
    "health": [2.5, 5.0, 1.8, 6.5, 2.5, 3.0],
    "community": [1.8, 3.5, 3.0, 6.8, 4.0, 3.2],
    "computing": [2.8, 6.5, 2.8, 1.8, 2.5, 4.5],
    "education": [1.5, 3.5, 4.0, 6.8, 3.0, 3.0],
    "business": [1.2, 3.5, 1.8, 3.0, 5.5, 6.2],
    "trades": [6.8, 3.0, 1.5, 1.8, 2.5, 3.2],
}
# (label, commodity title, hot) by family; a few occupations add their own below.
TECHNOLOGY = {
    "health": [("Epic Systems", "Medical software", "Y"), ("Microsoft Excel", "Spreadsheet software", "Y"),
               ("Microsoft Word", "Word processing software", "N"), ("MEDITECH Health Care Information System",
                                                                      "Medical software", "N")],
    "community": [("Microsoft PowerPoint", "Presentation software", "Y"), ("Microsoft Excel", "Spreadsheet software", "Y"),
                  ("Microsoft Word", "Word processing software", "N")],
    "computing": [("Python", "Object or component oriented development software", "Y"),
                  ("Structured query language SQL", "Database user interface and query software", "Y"),
                  ("JavaScript", "Web platform development software", "Y"), ("Git", "Configuration management software", "Y"),
                  ("Linux", "Operating system software", "Y"), ("Microsoft Excel", "Spreadsheet software", "Y")],
    "education": [("Microsoft PowerPoint", "Presentation software", "Y"), ("Google Classroom", "Computer based training software", "N"),
                  ("Blackboard Learn", "Computer based training software", "N"), ("Microsoft Word", "Word processing software", "N")],
    "business": [("Microsoft Excel", "Spreadsheet software", "Y"), ("Intuit QuickBooks", "Accounting software", "Y"),
                 ("SAP software", "Enterprise resource planning ERP software", "Y"),
                 ("Salesforce software", "Customer relationship management CRM software", "Y"),
                 ("Microsoft Office software", "Office suite software", "N")],
    "trades": [("Autodesk AutoCAD", "Computer aided design CAD software", "Y"), ("Microsoft Excel", "Spreadsheet software", "N"),
               ("Route planning software", "Route navigation software", "N")],
}
EXTRA_TECHNOLOGY = {
    SOFTWARE_DEV: [("Oracle Java", "Object or component oriented development software", "Y"),
                   ("Kubernetes", "Operating system software", "Y"), ("React", "Web platform development software", "Y"),
                   ("Amazon Web Services AWS software", "Platform interconnectivity software", "Y"),
                   ("C++", "Object or component oriented development software", "Y")],
    DATA_SCIENTIST: [("scikit-learn", "Data base user interface and query software", "Y"),
                     ("TensorFlow", "Data base user interface and query software", "Y"),
                     ("Tableau", "Business intelligence and data analysis software", "Y"),
                     ("R", "Analytical or scientific software", "Y")],
    WEB_DEV: [("React", "Web platform development software", "Y"), ("Node.js", "Web platform development software", "Y"),
              ("TypeScript", "Web platform development software", "Y")],
    "15-1242.00": [("PostgreSQL", "Database management system software", "Y"),
                   ("Oracle Database", "Database management system software", "Y")],
    "15-1212.00": [("Wireshark", "Network monitoring software", "Y"), ("Splunk Enterprise", "Network monitoring software", "Y")],
    ACCOUNTANT: [("Oracle PeopleSoft", "Enterprise resource planning ERP software", "N")],
    HEALTH_ED: [("SAS", "Analytical or scientific software", "N"), ("Qualtrics", "Analytical or scientific software", "N")],
}

# ------------------------------------------------------------------------------------------------ ESCO
ESCO = "http://data.europa.eu/esco/"


def esco_uri(kind: str, name: str) -> str:
    """A stable ESCO-shaped URI (uuid5 of the name), so ids never change between runs."""
    return f"{ESCO}{kind}/{uuid.uuid5(uuid.NAMESPACE_URL, 'waypoint-test:' + kind + ':' + name)}"


ISCO_GROUPS = [("2", "Professionals", "Professionals increase the stock of knowledge and apply it."),
               ("22", "Health professionals", "Health professionals study, diagnose and treat illness."),
               ("2221", "Nursing professionals", "Nursing professionals provide treatment and care."),
               ("25", "Information and communications technology professionals", "ICT professionals develop software."),
               ("2512", "Software developers", "Software developers research, design and write software."),
               ("2341", "Primary school teachers", "Primary school teachers teach a range of subjects."),
               ("7411", "Building and related electricians", "Electricians install and repair wiring."),
               ("2411", "Accountants", "Accountants plan and provide accounting services.")]

# (name, skillType, description, [alt labels], collection)
ESCO_SKILLS = [
    ("Python (computer programming)", "knowledge", "The techniques and principles of software development in Python.",
     ["Python programming", "Python"], "digital"),
    ("SQL", "knowledge", "The computer language SQL is a query language for retrieving information from a database.",
     ["structured query language"], "digital"),
    ("JavaScript", "knowledge", "The techniques and principles of software development in JavaScript.", ["JS programming"], "digital"),
    ("TypeScript", "knowledge", "The techniques and principles of software development in TypeScript.", [], "digital"),
    ("machine learning", "knowledge", "The principles, methods and algorithms of machine learning.", ["ML methods"], "digital"),
    ("data mining", "knowledge", "Methods to extract content from a dataset: statistics, databases, machine learning.", [], "digital"),
    ("statistics", "knowledge", "The study of statistical theory, methods and practices.", ["statistical analysis"], "research"),
    ("use spreadsheets software", "skill/competence", "Use software to create and edit tabular data.",
     ["use spreadsheets", "work with spreadsheets"], "digital"),
    ("Kubernetes", "knowledge", "The container orchestration system Kubernetes.", [], "digital"),
    ("debug software", "skill/competence", "Repair computer code by analysing test results and finding defects.",
     ["fix software defects"], "digital"),
    ("patient education", "skill/competence", "Teach patients and carers about illness, treatment and prevention.",
     ["educate patients", "health education"], "transversal"),
    ("maintain medical records", "skill/competence", "Keep accurate records of patient care and treatment.",
     ["keep medical records"], "transversal"),
    ("administer medication", "skill/competence", "Give prescribed drugs to patients safely.", ["give medication"], "transversal"),
    ("cardiopulmonary resuscitation", "knowledge", "The emergency procedure of chest compressions and rescue breaths.",
     [], "transversal"),
    ("diabetes care", "knowledge", "The care and self-management of patients with diabetes.", ["diabetes management"], "transversal"),
    ("plan health education programmes", "skill/competence", "Design programmes that promote health in communities.",
     ["plan community health programmes"], "transversal"),
    ("lesson planning", "skill/competence", "Prepare lessons and materials for a class.", ["prepare lesson content"], "transversal"),
    ("classroom management", "skill/competence", "Keep discipline and engage pupils during lessons.", [], "transversal"),
    ("assess students", "skill/competence", "Evaluate pupils' progress through assignments and tests.", [], "transversal"),
    ("install electrical wiring", "skill/competence", "Install wiring and fixtures following building codes.",
     ["lay electrical cable"], "transversal"),
    ("read blueprints", "skill/competence", "Read and understand standard blueprints and drawings.", ["read building plans"], "transversal"),
    ("electrical safety", "knowledge", "Safety rules for working with electrical installations.", [], "transversal"),
    ("financial reporting", "skill/competence", "Prepare financial statements and reports.", ["prepare financial statements"], "transversal"),
    ("bookkeeping", "knowledge", "Recording the financial transactions of an organisation.", ["book-keeping"], "transversal"),
    ("tax legislation", "knowledge", "Tax law that applies to an organisation or person.", [], "transversal"),
    ("customer service", "knowledge", "Processes and principles of serving customers.", ["client service"], "transversal"),
    ("communication", "skill/competence", "Exchange information with others clearly.", ["communicate"], "transversal"),
    ("teamwork principles", "knowledge", "Cooperation between people working towards a common goal.", ["teamwork"], "transversal"),
    ("data analysis", "skill/competence", "Collect and analyse data to support decisions.", ["analyse data"], "research"),
    ("web development", "knowledge", "Building websites with HTML, CSS and JavaScript.", ["website development"], "digital"),
    ("information security", "knowledge", "Protecting information and systems from attacks.", ["cyber security"], "digital"),
    ("project management", "knowledge", "Planning and running projects to a deadline and budget.", [], "transversal"),
]
ESCO_GROUPS = [("programming computer systems", ["Python (computer programming)", "SQL", "JavaScript", "TypeScript",
                                                 "debug software", "web development", "Kubernetes"]),
               ("analysing data", ["machine learning", "data mining", "statistics", "data analysis", "use spreadsheets software"]),
               ("providing health care", ["patient education", "maintain medical records", "administer medication",
                                          "cardiopulmonary resuscitation", "diabetes care", "plan health education programmes"]),
               ("teaching", ["lesson planning", "classroom management", "assess students"]),
               ("building and electrical work", ["install electrical wiring", "read blueprints", "electrical safety"]),
               ("finance and administration", ["financial reporting", "bookkeeping", "tax legislation", "customer service",
                                               "project management"])]
# (name, isco, code, description, [alt labels], {skill: essential|optional})
ESCO_OCCUPATIONS = [
    ("general care nurse", "2221", "2221.1", "General care nurses plan and give nursing care to patients.",
     ["registered nurse", "staff nurse"],
     {"patient education": "essential", "maintain medical records": "essential", "administer medication": "essential",
      "cardiopulmonary resuscitation": "essential", "communication": "optional", "teamwork principles": "optional"}),
    ("health educator", "2221", "2221.9", "Health educators plan programmes that teach communities about health.",
     ["health education officer"],
     {"patient education": "essential", "plan health education programmes": "essential", "diabetes care": "optional",
      "data analysis": "optional", "communication": "essential"}),
    ("software developer", "2512", "2512.4", "Software developers implement software from specifications.",
     ["software engineer", "programmer"],
     {"Python (computer programming)": "essential", "debug software": "essential", "SQL": "optional",
      "JavaScript": "optional", "Kubernetes": "optional", "teamwork principles": "optional"}),
    ("data scientist", "2512", "2511.3", "Data scientists find and interpret rich data sources.",
     ["data science specialist"],
     {"Python (computer programming)": "essential", "machine learning": "essential", "statistics": "essential",
      "data mining": "essential", "SQL": "optional", "data analysis": "essential"}),
    ("web developer", "2512", "2513.5", "Web developers build and maintain websites.",
     ["web programmer"],
     {"JavaScript": "essential", "web development": "essential", "TypeScript": "optional", "debug software": "optional"}),
    ("ICT security analyst", "25", "2529.7", "Security analysts protect networks and information.",
     ["cyber security analyst"],
     {"information security": "essential", "debug software": "optional", "communication": "optional"}),
    ("primary school teacher", "2341", "2341.1", "Primary school teachers teach pupils a range of subjects.",
     ["elementary school teacher"],
     {"lesson planning": "essential", "classroom management": "essential", "assess students": "essential",
      "communication": "essential"}),
    ("electrician", "7411", "7411.1", "Electricians install and repair electrical systems in buildings.",
     ["building electrician"],
     {"install electrical wiring": "essential", "read blueprints": "essential", "electrical safety": "essential"}),
    ("accountant", "2411", "2411.1", "Accountants prepare and analyse financial records.",
     ["chartered accountant"],
     {"financial reporting": "essential", "bookkeeping": "essential", "tax legislation": "essential",
      "use spreadsheets software": "optional"}),
    ("customer service representative", "2", "4222.3", "Customer service representatives answer customer questions.",
     ["customer care agent"],
     {"customer service": "essential", "communication": "essential", "use spreadsheets software": "optional"}),
]
SKILL_RELATIONS = [("Python (computer programming)", "machine learning", "optional"),
                   ("statistics", "machine learning", "essential"),
                   ("JavaScript", "TypeScript", "optional"),
                   ("patient education", "diabetes care", "optional"),
                   ("install electrical wiring", "electrical safety", "essential"),
                   ("bookkeeping", "financial reporting", "optional")]
COLLECTION_FILES = {"digital": "digitalSkillsCollection_en.csv", "transversal": "transversalSkillsCollection_en.csv",
                    "research": "researchSkillsCollection_en.csv"}

# ------------------------------------------------------------------------------------- courses, jobs, log
# Coursera: (partner, course, [skill tags], rating, level)
COURSERA = [
    ("Example University", "Python for Everybody", ["Python Programming", "Data Structures"], "4.8", "Beginner"),
    ("Example University", "SQL for Data Science", ["SQL", "Data Analysis"], "4.6", "Beginner"),
    ("Example Tech", "Machine Learning Foundations", ["Machine Learning", "Python", "Statistics"], "4.9", "Intermediate"),
    ("Example Tech", "JavaScript Essentials", ["JavaScript", "Web Development"], "4.5", "Beginner"),
    ("Example Health School", "Patient Education Skills for Nurses", ["Patient Education", "Communication"], "4.7", "Beginner"),
    ("Example Health School", "Diabetes Care and Self-Management", ["Diabetes Care"], "4.4", "Intermediate"),
    ("Example Business School", "Financial Reporting Basics", ["Financial Reporting", "Bookkeeping"], "4.3", "Beginner"),
    ("Example Business School", "Excel Skills for Business", ["Microsoft Excel", "Data Analysis"], "not rated", "Beginner"),
]
# edX: (title, summary, institution, level, subject)
EDX = [
    ("Introduction to Statistics", "Learn statistics for data analysis", "ExampleX", "Introductory", "Data Analysis & Statistics"),
    ("Classroom Management Strategies", "Keep pupils engaged and learning", "TeachX", "Introductory", "Education & Teacher Training"),
    ("Electrical Safety Fundamentals", "Work safely with electrical installations", "TradesX", "Introductory", "Engineering"),
    ("Planning Community Health Programmes", "Design and evaluate health education programmes", "HealthX",
     "Intermediate", "Health & Safety"),
    ("Cyber Security Basics", "Protect networks and information systems", "ExampleX", "Introductory", "Computer Science"),
]
# Udemy: (id, title, level, hours, subject); 1004 twice on purpose (real files repeat ids)
UDEMY = [
    ("1001", "Complete Python Bootcamp", "All Levels", "22", "Web Development"),
    ("1002", "Bookkeeping for Small Business", "Beginner Level", "4.5", "Business Finance"),
    ("1003", "Lesson Planning Masterclass", "Intermediate Level", "3", "Teaching"),
    ("1004", "Reading Blueprints for Trades", "Beginner Level", "", "Engineering"),
    ("1004", "Reading Blueprints for Trades", "Beginner Level", "", "Engineering"),
]
# Google postings: (title, category, location, responsibilities, minimum, preferred); the last repeats the first
GOOGLE = [
    ("Software Engineer, Backend", "Software Engineering", "Mountain View, CA, United States",
     "Design, develop and test backend services in Python and Java.", "BS in Computer Science or equivalent practical experience.",
     "Experience with distributed systems and SQL."),
    ("Data Scientist, Ads", "Data Science", "New York, NY, United States",
     "Build statistical models and analyse experiments.", "MS in Statistics or a related field.",
     "Experience with Python, R and machine learning."),
    ("Technical Writer", "Technical Writing", "Dublin, Ireland", "Write developer documentation.",
     "BA/BS degree or equivalent practical experience.", "Experience writing about software."),
    ("IT Support Technician", "IT & Data Management", "London, United Kingdom", "Help employees with hardware and software.",
     "2 years of experience in IT support.", "Experience with Linux and networking."),
    ("Health Program Manager", "Program Management", "Boston, MA, United States",
     "Run health education programs for employees.", "BA/BS degree in public health.", "Experience in community health."),
    ("Financial Analyst", "Finance", "Chicago, IL, United States", "Prepare financial reports and forecasts.",
     "BA/BS in Finance or Accounting.", "Experience with Excel and SQL."),
    ("Software Engineer, Backend", "Software Engineering", "Mountain View, CA, United States",
     "Design, develop and test backend services in Python and Java.", "BS in Computer Science or equivalent practical experience.",
     "Experience with distributed systems and SQL."),
]
# Glassdoor: (id, title, salary, description, company, location, industry, sector)
GLASSDOOR = [
    ("0", "Data Scientist", "$90K-$130K (Glassdoor est.)", "Analyse data with Python and SQL and build predictive models.",
     "Acme Analytics\n4.1", "Austin, TX", "Internet", "Information Technology"),
    ("1", "Machine Learning Engineer", "$110K-$160K (Glassdoor est.)", "Deploy machine learning models to production.",
     "Beta Robotics\n3.9", "Seattle, WA", "Computer Hardware & Software", "Information Technology"),
    ("2", "Data Analyst", "-1", "Build dashboards in Tableau and write SQL queries.", "Gamma Health", "Denver, CO",
     "Health Care Services & Hospitals", "Health Care"),
    ("3", "Senior Data Scientist", "$120K-$170K (Glassdoor est.)", "Lead statistics and experimentation.",
     "Delta Insurance\n3.5", "Hartford, CT", "-1", "Insurance"),
    ("4", "Research Scientist", "$100K-$150K (Glassdoor est.)", "Research new machine learning methods.",
     "Epsilon Labs", "Boston, MA", "Research & Development", "Business Services"),
    ("5", "Data Scientist", "$90K-$130K (Glassdoor est.)", "Analyse data with Python and SQL and build predictive models.",
     "Acme Analytics\n4.1", "Austin, TX", "Internet", "Information Technology"),
]
# Logged jobs: (job id, title, company, city, state, industry)
JOBS = [
    ("90001", "Registered Nurse - Med Surg", "Springfield General Hospital", "Springfield", "IL", "Healthcare"),
    ("90002", "Night Shift RN", "Riverside Care Home", "Riverside", "CA", "Healthcare"),
    ("90003", "Certified Nursing Assistant", "Riverside Care Home", "Riverside", "CA", "Healthcare"),
    ("90004", "Pharmacy Technician", "Corner Drugstore", "Springfield", "IL", "Retail"),
    ("90005", "Python Developer", "Acme Software", "Austin", "TX", "Technology"),
    ("90006", "Junior Web Developer", "Pixel Studio", "Austin", "TX", "Technology"),
    ("90007", "Data Analyst", "Gamma Health", "Denver", "CO", "NA"),
    ("90008", "Customer Service Representative", "Omega Telecom", "Denver", "CO", "Telecommunications"),
    ("90009", "Cashier", "Corner Drugstore", "Springfield", "IL", "Retail"),
    ("90010", "Administrative Assistant", "Omega Telecom", "Denver", "CO", ""),
    ("90011", "Electrician Apprentice", "Bright Sparks Electric", "Riverside", "CA", "Construction"),
    ("90012", "Elementary Teacher", "Springfield Schools", "Springfield", "IL", "Education"),
]
# Applicants: id -> (job ids viewed in order, [(position, employer, description)], [positions of interest])
APPLICANTS = {
    "20001": (["90001", "90002", "90003", "90001"], [("Registered Nurse", "Springfield General Hospital",
                                                       "Cared for surgical patients and taught diabetes self-management.")],
              ["registered nurse", "charge nurse"]),
    "20002": (["90003", "90002", "90004"], [("Nursing Assistant", "Riverside Care Home", "Helped residents with daily care.")],
              ["nursing assistant"]),
    "20003": (["90005", "90006", "90007", "90005"], [("Software Developer", "Acme Software", "Built web services in Python and SQL.")],
              ["software developer", "python developer"]),
    "20004": (["90007", "90005", "90007"], [("Data Analyst", "Gamma Health", "Wrote SQL queries and built dashboards.")],
              ["data analyst"]),
    "20005": (["90008", "90010", "90009"], [("Customer Service Representative", "Omega Telecom", "Answered customer calls.")],
              ["customer service"]),
    "20006": (["90009", "90008", "90004"], [("Cashier", "Corner Drugstore", "NA")], ["cashier", "retail"]),
    "20007": (["90011", "90011", "90006"], [("Electrician Helper", "Bright Sparks Electric", "Installed wiring in new homes.")],
              ["electrician"]),
    "20008": (["90012", "90010"], [("Teaching Assistant", "Springfield Schools", "Helped plan lessons and supervised pupils.")],
              ["teacher"]),
    "20009": (["90006", "90005"], [("Web Designer", "Pixel Studio", "Designed websites in JavaScript.")], ["web developer"]),
    "20010": ([], [("Office Clerk", "NA", "Filed records and answered phones.")], ["administrative assistant"]),
}
RESUMES = [
    ("Data Science", ("Skills: Python, SQL, machine learning, statistics. Data scientist with three years of "
                     "experience building predictive models and dashboards.")),
    ("Health and fitness", ("Registered nurse with eight years on surgical wards. I teach patients about diabetes care "
                           "and keep medical records.")),
    ("Web Designing", "Front-end developer: JavaScript, TypeScript, React and web development for small businesses."),
    ("Electrical Engineering", "Electrician apprentice. Installed electrical wiring and read blueprints on building sites."),
    ("Teacher", "Primary school teacher. Lesson planning, classroom management and assessing students."),
    ("Data Science", ("Skills: Python, SQL, machine learning, statistics. Data scientist with three years of "
                     "experience building predictive models and dashboards.")),
]


# ---------------------------------------------------------------------------------------------- writers
def _tsv(path: Path, header: list[str], rows: list[list]) -> None:
    """O*NET text layout: tab-separated, no quoting (so no tabs or newlines inside fields)."""
    lines = ["\t".join(header)] + ["\t".join(str(v) for v in row) for row in rows]
    for line in lines:
        assert "\n" not in line and line.count("\t") == len(header) - 1, line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _occupation_rows() -> list[tuple[str, tuple]]:
    return [(family, occ) for family, occs in OCCUPATIONS.items() for occ in occs]


def _onet(root: Path, rng: random.Random) -> None:
    onet = root / "onet"
    onet.mkdir(parents=True)
    occs = _occupation_rows()
    title = {o[0]: o[1] for _f, o in occs}
    _tsv(onet / "Occupation Data.txt", ["O*NET-SOC Code", "Title", "Description"], [[o[0], o[1], o[2]] for _f, o in occs])
    rated = [(f, o) for f, o in occs if o[0] != UNRATED]
    _tsv(onet / "Job Zones.txt", ["O*NET-SOC Code", "Title", "Job Zone", "Date", "Domain Source"],
         [[o[0], o[1], o[6], "08/2024", "Analyst"] for _f, o in rated])
    _tsv(onet / "Job Zone Reference.txt", ["Job Zone", "Name", "Experience", "Education", "Job Training", "Examples", "SVP Range"],
         [[z, f"Job Zone {z}", "Some experience.", "Some education.", "Some training.", "Examples.", f"({z}.0 to <{z + 1}.0)"]
          for z in range(1, 6)])
    _tsv(onet / "Alternate Titles.txt", ["O*NET-SOC Code", "Title", "Alternate Title", "Short Title", "Source(s)"],
         [[o[0], o[1], alt, alt if len(alt) <= 4 else "", "08"] for _f, o in occs for alt in o[4]])
    _tsv(onet / "Sample of Reported Titles.txt", ["O*NET-SOC Code", "Title", "Reported Job Title", "Shown in My Next Move"],
         [[o[0], o[1], o[5], "Y"] for _f, o in occs if o[5]])
    task_rows, task_id = [], 1000
    for _f, o in occs:
        for i, task in enumerate(o[3]):
            task_id += 1
            task_rows.append([o[0], o[1], task_id, task, "Core" if i < 2 else "Supplemental", "90.0", "08/2024", "Incumbent"])
    _tsv(onet / "Task Statements.txt", ["O*NET-SOC Code", "Title", "Task ID", "Task", "Task Type", "Incumbents Responding",
                                        "Date", "Domain Source"], task_rows)
    _tsv(onet / "Content Model Reference.txt", ["Element ID", "Element Name", "Description"],
         [[e, n, d] for e, n, d in SKILL_ELEMENTS + KNOWLEDGE_ELEMENTS] + [[f"1.B.1.{c}", r, f"{r} occupations."]
                                                                          for c, r in zip("abcdef", RIASEC)])
    header = ["O*NET-SOC Code", "Title", "Element ID", "Element Name", "Scale ID", "Scale Name", "Data Value", "N",
              "Standard Error", "Lower CI Bound", "Upper CI Bound", "Recommend Suppress", "Not Relevant", "Date", "Domain Source"]
    for name, elements, profile in (("Skills.txt", SKILL_ELEMENTS, SKILL_PROFILE), ("Knowledge.txt", KNOWLEDGE_ELEMENTS,
                                                                                    KNOWLEDGE_PROFILE)):
        rows = []
        for family, o in rated:
            for j, (eid, ename, _d) in enumerate(elements):
                im = min(5.0, max(1.0, profile[family][j] + rng.uniform(-0.4, 0.4)))
                lv = min(7.0, max(0.0, (im - 1.0) * 1.5 + rng.uniform(-0.3, 0.3)))
                suppress = "Y" if (o[0], eid) == (ELECTRICIAN, "2.A.1.c") else "N"  # a suppressed rating is skipped
                not_relevant = "Y" if (o[0], eid) == ("53-3032.00", "2.B.3.e") else ""  # LV not relevant -> no level
                rows.append([o[0], o[1], eid, ename, "IM", "Importance", f"{im:.2f}", "8", "0.1", "", "", suppress, "",
                             "08/2024", "Analyst"])
                rows.append([o[0], o[1], eid, ename, "LV", "Level", f"{lv:.2f}", "8", "0.1", "", "", suppress, not_relevant,
                             "08/2024", "Analyst"])
        _tsv(onet / name, header, rows)
    interest_rows = []
    for family, o in rated:
        for c, (element, value) in enumerate(zip(RIASEC, INTERESTS[family])):
            v = min(7.0, max(1.0, value + rng.uniform(-0.3, 0.3)))
            interest_rows.append([o[0], o[1], f"1.B.1.{'abcdef'[c]}", element, "OI", "Occupational Interests", f"{v:.2f}",
                                  "11/2023", "Machine Learning"])
        top = max(range(6), key=lambda c: INTERESTS[family][c])
        interest_rows.append([o[0], o[1], "1.B.2.a", "First Interest High-Point", "IH", "Occupational Interest High-Point",
                              f"{top + 1}.00", "11/2023", "Machine Learning"])
    _tsv(onet / "Interests.txt", ["O*NET-SOC Code", "Title", "Element ID", "Element Name", "Scale ID", "Scale Name",
                                  "Data Value", "Date", "Domain Source"], interest_rows)
    tech_rows = []
    for family, o in rated:
        for label, commodity, hot in TECHNOLOGY[family] + EXTRA_TECHNOLOGY.get(o[0], []):
            tech_rows.append([o[0], o[1], label, "43232202", commodity, hot, "Y" if hot == "Y" and rng.random() < 0.5 else "N"])
    _tsv(onet / "Technology Skills.txt", ["O*NET-SOC Code", "Title", "Example", "Commodity Code", "Commodity Title",
                                          "Hot Technology", "In Demand"], tech_rows)
    _tsv(onet / "Scales Reference.txt", ["Scale ID", "Scale Name", "Minimum", "Maximum"],
         [["IM", "Importance", 1, 5], ["LV", "Level", 0, 7], ["OI", "Occupational Interests", 1, 7]])
    # Related occupations: same family first (by list distance), then the neighbouring family.
    families = list(OCCUPATIONS)
    related_rows = []
    for family, o in rated:
        if o[0] in HELD_OUT:
            continue
        same = [x[0] for x in OCCUPATIONS[family] if x[0] not in (o[0], UNRATED)]
        neighbour = OCCUPATIONS[families[(families.index(family) + 1) % len(families)]]
        others = [x[0] for x in neighbour if x[0] != UNRATED]
        picks = (same + others)[:8]
        for index, code in enumerate(picks, start=1):
            tier = "Primary-Short" if index <= 3 else "Primary-Long" if index <= 5 else "Supplemental"
            related_rows.append([o[0], o[1], code, title[code], tier, index])
    _tsv(onet / "Related Occupations.txt", ["O*NET-SOC Code", "Title", "Related O*NET-SOC Code", "Related Title",
                                            "Relatedness Tier", "Index"], related_rows)
    (onet / "Read Me.txt").write_text("Synthetic O*NET-shaped test data written by tests/synthetic_catalogue.py\n")


def _esco(root: Path) -> None:
    esco = root / "esco"
    (esco / "derived").mkdir(parents=True)
    skill_uri = {name: esco_uri("skill", name) for name, *_ in ESCO_SKILLS}
    group_uri = {name: esco_uri("skill", "group:" + name) for name, _ in ESCO_GROUPS}
    _csv(esco / "ISCOGroups_en.csv", ["conceptType", "conceptUri", "code", "preferredLabel", "status", "altLabels",
                                       "inScheme", "description"],
         [["ISCOGroup", f"{ESCO}isco/C{c}", c, label, "released", "", f"{ESCO}concept-scheme/isco", d]
          for c, label, d in ISCO_GROUPS])
    _csv(esco / "occupations_en.csv", ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels",
                                        "hiddenLabels", "status", "modifiedDate", "regulatedProfessionNote", "scopeNote",
                                        "definition", "inScheme", "description", "code"],
         [["Occupation", esco_uri("occupation", n), isco, n, "\n".join(alts), "", "released", "2024-01-01T00:00:00Z",
           "", "", "", f"{ESCO}concept-scheme/occupations", desc, code]
          for n, isco, code, desc, alts, _s in ESCO_OCCUPATIONS])
    # the reconstructed skills file (as in ../shared/data/esco/derived): label + alt labels + description in one blob
    _csv(esco / "derived" / "skills_en.reconstructed.csv", ["conceptUri", "preferredLabel", "labelsAndDescription"],
         [[skill_uri[n], n, " ".join([n, *alts, d])] for n, _t, d, alts, _c in ESCO_SKILLS])
    _csv(esco / "derived" / "occupationSkillRelations_en.reconstructed.csv",
         ["occupationUri", "occupationLabel", "relationType", "skillUri", "skillLabel"],
         [[esco_uri("occupation", n), n, rel, skill_uri[s], s] for n, *_r, skills in ESCO_OCCUPATIONS
          for s, rel in skills.items()])
    collection_header = ["conceptType", "conceptUri", "preferredLabel", "status", "skillType", "reuseLevel", "altLabels",
                         "description", "broaderConceptUri", "broaderConceptPT"]
    for key, filename in COLLECTION_FILES.items():
        _csv(esco / filename, collection_header,
             [["KnowledgeSkillCompetence", skill_uri[n], n, "released", t, "cross-sector", "\n".join(alts), d, "", ""]
              for n, t, d, alts, c in ESCO_SKILLS if c == key])
    _csv(esco / "skillGroups_en.csv", ["conceptType", "conceptUri", "preferredLabel", "altLabels", "hiddenLabels", "status",
                                        "modifiedDate", "scopeNote", "inScheme", "description", "code"],
         [["SkillGroup", group_uri[g], g, "", "", "released", "", "", f"{ESCO}concept-scheme/skills", f"Skills for {g}.",
           f"S{i}"] for i, (g, _m) in enumerate(ESCO_GROUPS, start=1)])
    _csv(esco / "broaderRelationsSkillPillar_en.csv", ["conceptType", "conceptUri", "broaderType", "broaderUri"],
         [["KnowledgeSkillCompetence", skill_uri[s], "SkillGroup", group_uri[g]] for g, members in ESCO_GROUPS for s in members])
    kinds = {n: t for n, t, *_r in ESCO_SKILLS}
    _csv(esco / "skillSkillRelations_en.csv", ["originalSkillUri", "originalSkillType", "relationType", "relatedSkillType",
                                                "relatedSkillUri"],
         [[skill_uri[a], kinds[a], rel, kinds[b], skill_uri[b]] for a, b, rel in SKILL_RELATIONS])


def _courses(root: Path) -> None:
    courses = root / "courses"
    courses.mkdir(parents=True)
    _csv(courses / "coursera_courses_2023.csv", ["partner", "course", "skills", "rating", "reviewcount", "level",
                                                 "certificatetype", "duration", "crediteligibility"],
         [[p, c, "{" + ",".join(f'" {t}"' for t in tags) + "}", r, "1.2k", f"{lvl} ", " Course ", " 1 - 3 Months", "false"]
          for p, c, tags, r, lvl in COURSERA])
    _csv(courses / "edx_courses.csv", ["title", "summary", "n_enrolled", "course_type", "institution", "instructors", "Level",
                                       "subject", "language", "subtitles", "course_effort", "course_length", "price",
                                       "course_description", "course_syllabus", "course_url"],
         [[t, s, "1,000", "Self-paced on your time", inst, "A. Teacher", lvl, subj, "English", "English", "2–3 hours per week",
           "6 Weeks", "FREE", f"{s}. A short course for working adults.", "", f"https://www.edx.org/course/{t.lower().replace(' ', '-')}"]
          for t, s, inst, lvl, subj in EDX])
    _csv(courses / "udemy_courses.csv", ["course_id", "course_title", "url", "is_paid", "price", "num_subscribers",
                                         "num_reviews", "num_lectures", "level", "content_duration", "published_timestamp",
                                         "subject"],
         [[i, t, f"https://www.udemy.com/{t.lower().replace(' ', '-')}/", "True", "20", "100", "10", "12", lvl, hours,
           "2020-01-01T00:00:00Z", subj] for i, t, lvl, hours, subj in UDEMY])


def _jobs_and_log(root: Path, rng: random.Random) -> None:
    jobs = root / "jobs"
    jobs.mkdir(parents=True)
    _csv(jobs / "google_job_skills.csv", ["Company", "Title", "Category", "Location", "Responsibilities",
                                          "Minimum Qualifications", "Preferred Qualifications"],
         [["Google", *row] for row in GOOGLE])
    _csv(jobs / "glassdoor_ds_jobs_2020.csv", ["", "Job Title", "Salary Estimate", "Job Description", "Rating",
                                               "Company Name", "Location", "Headquarters", "Size", "Founded",
                                               "Type of ownership", "Industry", "Sector", "Revenue", "Competitors"],
         [[i, t, sal, d, "3.8", comp, loc, loc, "51 to 200 employees", "2001", "Company - Private", ind, sec,
           "Unknown / Non-Applicable", "-1"] for i, t, sal, d, comp, loc, ind, sec in GLASSDOOR])
    log = root / "interactions"
    log.mkdir(parents=True)
    job = {j[0]: j for j in JOBS}
    views = []
    for n, (applicant, (viewed, _exp, _poi)) in enumerate(APPLICANTS.items()):
        for k, jid in enumerate(viewed):
            _id, title, company, city, state, industry = job[jid]
            minute = 10 + 7 * k
            start, end = f"2014-12-{10 + n:02d} 09:{minute:02d}:00 UTC", f"2014-12-{10 + n:02d} 09:{minute + 2:02d}:30 UTC"
            duration = "" if (n + k) % 9 == 4 else str(rng.randint(20, 400))
            views.append([applicant, jid, f"{title} - {city}, {state}", title, company, city, "State", state, industry,
                          start, end, duration, start, start])
    _csv(log / "Job_Views.csv", ["Applicant.ID", "Job.ID", "Title", "Position", "Company", "City", "State.Name", "State.Code",
                                 "Industry", "View.Start", "View.End", "View.Duration", "Created.At", "Updated.At"], views)
    _csv(log / "Experience.csv", ["Applicant.ID", "Position.Name", "Employer.Name", "City", "State.Name", "State.Code",
                                  "Start.Date", "End.Date", "Job.Description", "Salary", "Can.Contact.Employer",
                                  "Created.At", "Updated.At"],
         [[a, pos, emp, "Springfield", "Illinois", "IL", "2012-01-01", "", desc, "NA", "NA", "2014-12-12 20:10:02 UTC",
           "2014-12-12 20:10:02 UTC"] for a, (_v, exp, _p) in APPLICANTS.items() for pos, emp, desc in exp])
    _csv(log / "Positions_Of_Interest.csv", ["Applicant.ID", "Position.Of.Interest", "Created.At", "Updated.At"],
         [[a, p, "2014-12-12 21:20:54 UTC", "2014-12-12 21:20:54 UTC"] for a, (_v, _e, poi) in APPLICANTS.items() for p in poi])
    resumes = root / "resumes"
    resumes.mkdir(parents=True)
    _csv(resumes / "UpdatedResumeDataSet.csv", ["Category", "Resume"], [list(r) for r in RESUMES])


def write_synthetic_data(root: Path, seed: int = 0) -> Path:
    """Write the synthetic source files under ``root`` (``onet/``, ``esco/``, ``courses/``, ``jobs/``,
    ``interactions/``, ``resumes/``, as in ``../shared/data``) and return ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    _onet(root, rng)
    _esco(root)
    _courses(root)
    _jobs_and_log(root, rng)
    (root / "SOURCES.md").write_text("Synthetic test data (tests/synthetic_catalogue.py); no real rows.\n")
    return root


def occupation_count() -> int:
    return sum(len(v) for v in OCCUPATIONS.values())


# ------------------------------------------------------------------------------------- environments
def sandbox_env(home: Path, data: Path | str) -> dict[str, str]:
    """The ``WAYPOINT_*`` variables a unit test runs under: its own home, the given data, and nothing that
    reaches outside the machine (no server URLs, no keys, the deterministic explainer).

    Only the settings that point somewhere are pinned; tuning knobs a developer sets (threads, batch
    sizes) pass through. The embedding-based extras of the skill gap and the task-by-task alignment stay
    on: on a catalogue this small they cost a second, and they are the real code paths.
    """
    return {
        "WAYPOINT_HOME": str(home),
        "WAYPOINT_DATA": str(data),
        "WAYPOINT_LLM_BACKEND": "deterministic",
        "WAYPOINT_LLM_MODEL_PATH": "",
        "WAYPOINT_LLM_ADAPTER": "",
        "WAYPOINT_LLM_BASE_URL": "http://127.0.0.1:9/v1",  # the discard port: nothing listens there
        "WAYPOINT_TEACHER_BASE_URL": "",
        "WAYPOINT_QDRANT_URL": "",
        "WAYPOINT_QDRANT_LOCAL_PATH": "",
        "WAYPOINT_EVENTS_URL": "",
        "WAYPOINT_API_KEYS": "",
        "WAYPOINT_BACKEND_API_KEYS": "",
        "WAYPOINT_TRUSTED_PROXIES": "",
        "WAYPOINT_USER_HASH_SALT": "",
        "WAYPOINT_REQUIRE_USER_HASH_SALT": "false",
        "WAYPOINT_GAP_EMBEDDINGS": "true",
        "WAYPOINT_GAP_ESCO_MAP": "true",
        "WAYPOINT_OCCUPATION_TASK_ALIGNMENT": "true",
        "WAYPOINT_EXPLAIN_USE_MEMORY": "true",
        # the SetFit intent model is trained by the real-data session's build (~1 min); the unit tier routes
        # with the nearest-centroid fallback, which the chat uses wherever the model is not built
        "WAYPOINT_CHAT_INTENT_MODEL": "false",
        "WAYPOINT_RERANK_WEIGHT_OCCUPATION": "0",
        "WAYPOINT_RERANK_WEIGHT_JOB": "0",
    }


def synthetic_env(home: Path, data: Path) -> dict[str, str]:
    """:func:`sandbox_env` on the synthetic home and data."""
    return sandbox_env(home, data)


def build_synthetic_home(home: Path, data: Path) -> None:
    """Ingest ``data`` into ``home`` and build what a server loads, through the public entry points
    (``retrieval.catalogue.ingest.ingest``, then ``app.build.build`` -- what ``waypoint ingest`` runs).

    Call it with :func:`synthetic_env` active: some builders read ``get_settings()``."""
    from retrieval.catalogue.ingest import ingest
    from retrieval.settings import get_settings

    settings = get_settings()
    assert Path(settings.home) == home, (settings.home, home)
    ingest(str(data), settings, show_progress=False)
    try:
        from app.build import build
    except ImportError:  # a tree from before `waypoint build`: the services train on first use
        return
    build(settings, show_progress=False, say=lambda _message: None)


# Rows of the catalogue's occupation table (O*NET and ESCO), what /healthz reports.
OCCUPATION_ROWS = occupation_count() + len(ESCO_OCCUPATIONS)
