"""Words that are never taken for part of a person's name, so name rules leave career content alone.

Why a hand-kept list: the name rules (:mod:`app.privacy.names`) look for runs of capitalised words
in a name-like context (a résumé's first line, "I'm X Y", a first name followed by a surname). On
career text such runs are mostly job titles ("Registered Nurse"), résumé headings ("Education
Details"), skills and products ("Microsoft Excel") and places. A capitalised word in one of these
sets stops a name match. The lists are general English career vocabulary, not copied from a data
set; the false-redaction test (tests/test_privacy.py) measures what they miss on the O*NET
catalogue and real résumés.

All entries are lower case; look words up with :func:`is_career_word` / :func:`is_not_name`.
"""

from __future__ import annotations

import re

_FUNCTION = """
a an the and or nor but of in on at to for with without from by as into onto about above below over under
per via not no yes all any each every other some such this that these those it its i we you he she they
my our your his her their me us him them who whom whose what when where which why how will would can
could should may might must shall is are was were be been being am do does did done have has had having
also very just more most less least many much few new old good great best better well here there now
then today currently looking seeking interested passionate experienced available based working worked
works hello hi dear thanks thank regards sincerely please note etc ok okay only even still again once
since until till while during after before between among within across around through throughout
up down out off if so than too both either neither because though although however therefore hence
thus via vs per plus one two three four five six seven eight nine ten first second third last next
strong excellent highly self able ability looking hard fast quick quickly proven result results driven
oriented focused motivated dedicated reliable responsible detail details key core main various several
other others own same different high low full part time open close real true
"""

_RESUME = """
summary profile objective objectives career experience experiences education educational skill skills
technical professional personal project projects certification certifications certificate certificates
certified achievement achievements award awards honors honours interest interests hobbies hobby language
languages reference references referee referees contact contacts information info declaration
curriculum vitae resume résumé cv employment history work qualification qualifications training
trainings course courses coursework strength strengths weakness responsibility responsibilities activity
activities extracurricular publication publications overview competency competencies area areas
expertise tool tools technology technologies environment company companies description role roles
duration team teams size client clients domain location date dates address phone telephone tel mobile
cell email e-mail fax website portfolio nationality gender marital status dob birth born age religion
total year years month months week weeks day days present current till ongoing accomplishments
highlights objective statement volunteer volunteering internship internships membership memberships
affiliations licence license licenses licences accreditation accreditations scholarship thesis
dissertation degree degrees diploma bachelor bachelors master masters doctorate phd mba bsc msc ba ma
be btech mtech bcom mcom bca mca hsc ssc cgpa gpa percentage grade class batch school college
university institute institution academy board secondary higher senior junior high graduate
graduation undergraduate postgraduate student students alumni campus faculty department dept
"""

_CAREER = """
manager managers management managing manage engineer engineers engineering developer developers
development analyst analysts analysis analytics analytical scientist scientists science sciences
consultant consultants consulting specialist specialists technician technicians technologist
technologists assistant assistants associate associates administrator administrators administration
administrative director directors officer officers executive executives coordinator coordinators
coordination supervisor supervisors supervision lead leads leader leaders leadership head heads
principal chief staff intern interns trainee trainees apprentice apprentices nurse nurses nursing
registered licensed practical vocational physician physicians doctor doctors surgeon surgeons surgery
surgical therapist therapists therapy pharmacist pharmacists pharmacy dentist dentists dental
hygienist hygienists teacher teachers teaching professor professors lecturer lecturers instructor
instructors tutor tutors tutoring educator educators counselor counselors counsellor counsellors
counseling counselling advisor advisors adviser advisers advisory accountant accountants accounting
accounts auditor auditors audit auditing clerk clerks clerical cashier cashiers receptionist
receptionists secretary secretaries sales salesperson representative representatives rep agent agents
broker brokers buyer buyers purchasing procurement marketing marketer designer designers design
designing architect architects architecture programmer programmers programming operator operators
mechanic mechanics electrician electricians plumber plumbers welder welders welding machinist machinists
driver drivers pilot pilots attendant attendants worker workers laborer laborers labourer labourers
helper helpers installer installers installation repairer repairers repair inspector inspectors
inspection investigator investigators writer writers writing editor editors editing author authors
artist artists photographer photographers producer producers chef chefs server servers bartender
bartenders barista baristas hostess waiter waiters waitress housekeeper housekeepers housekeeping
janitor janitors cleaner cleaners cleaning guard guards security police firefighter firefighters
paramedic paramedics emergency medical medicine health healthcare clinical clinic hospital care
caregiver caregivers aide aides support customer customers service services operations operation
operational business businesses finance financial human resources resource information technology
technologies systems system network networks networking data database databases software hardware web
cloud devops quality assurance testing test tests tester testers automation automated product products
program programs programme programmes process processes processing production manufacturing
maintenance construction electrical electronics electronic mechanical civil chemical chemistry
industrial environmental logistics supply chain warehouse inventory retail store stores office offices
general legal law lawyer lawyers attorney attorneys paralegal paralegals public relations communication
communications social media content digital research researcher researchers laboratory lab labs machine
machines learning artificial intelligence computer computers computing vision natural processing
stack front end back mobile embedded firmware application applications app apps platform platforms
solutions solution architecture infrastructure integration implementation planning planner planners
scheduler scheduling estimator estimators estimating specialist controller controllers control controls
compliance risk risks regulatory policy policies strategy strategic strategist operations planning
account accounts relationship relationships banking bank banker bankers insurance underwriter
underwriters claims adjuster adjusters appraiser appraisers actuary actuaries economist economists
statistician statisticians statistics mathematician mathematicians mathematics math physicist
physicists physics biologist biologists biology biological chemist chemists geologist geologists
geology technical operations administrative executive senior junior lead entry level mid principal
fellow resident residency nursing midwife midwives therapist psychologist psychologists psychology
psychiatrist psychiatrists psychiatric social worker workers case caseworker librarian librarians
library curator curators archivist archivists translator translators interpreter interpreters
journalist journalists reporter reporters correspondent announcer announcers broadcast editor
animator animators illustrator illustrators drafter drafters drafting surveyor surveyors surveying
cartographer cartographers landscape landscaping gardener gardeners groundskeeper farmer farmers
farming agricultural agriculture rancher forester foresters forestry logger loggers fishing fisher
hunter hunters trapper trappers miner miners mining driller drillers roofer roofers carpenter
carpenters carpentry mason masons masonry bricklayer bricklayers painter painters painting plasterer
glazier glaziers tiler tilers flooring insulation ironworker ironworkers boilermaker boilermakers
millwright millwrights pipefitter pipefitters steamfitter sheet metal fabricator fabricators
fabrication assembler assemblers assembly packer packers packaging loader loaders material materials
handler handlers handling mover movers courier couriers delivery dispatcher dispatchers dispatch
conductor conductors engineer railroad rail truck trucks trucking bus taxi chauffeur chauffeurs
captain captains mate mates sailor sailors seaman deckhand flight crew steward stewardess aviation
aircraft airline airport baggage porter porters concierge valet valets usher ushers greeter host hosts
cook cooks cooking baker bakers bakery butcher butchers meat cutter cutters food beverage kitchen
dishwasher dishwashers busser restaurant catering caterer hotel hospitality tourism travel guide
guides recreation fitness trainer trainers coach coaches coaching athlete athletes referee umpire
sports childcare nanny nannies babysitter preschool kindergarten elementary middle special
paraprofessional substitute principal dean provost chancellor registrar admissions enrollment
tutoring veterinarian veterinarians veterinary vet groomer groomers kennel animal animals zoologist
pharmaceutical biotech biotechnology lab phlebotomist phlebotomists radiologic radiology radiographer
sonographer sonographers ultrasound imaging cardiovascular respiratory occupational physical speech
audiologist audiologists optometrist optometrists optician opticians podiatrist chiropractor
chiropractors dietitian dietitians nutritionist nutritionists nutrition massage cosmetologist
cosmetologists barber barbers hairdresser hairdressers hairstylist stylist stylists manicurist makeup
esthetician tailor tailors seamstress sewing textile upholsterer jeweler jewelers watch repairer
locksmith locksmiths security alarm technician telecommunications telecom cable lineman linemen
lineworker utility utilities power plant plants energy solar wind turbine nuclear petroleum oil gas
refinery water wastewater treatment sanitation waste recycling hazardous environmental safety
occupational fire prevention protective detective detectives sheriff deputy deputies correctional
corrections probation parole judge judges magistrate magistrates court courts clerk bailiff legislator
legislators government federal state local municipal city county public administration military army
navy air force marine marines soldier soldiers infantry officer enlisted sergeant lieutenant
commander general colonel major corporal private
"""

_TECH = """
java python javascript typescript sql mysql postgresql postgres oracle mongodb redis cassandra hbase
hadoop spark hive pig kafka airflow tableau power bi excel word powerpoint outlook access office
microsoft windows linux unix ubuntu debian macos ios android google amazon aws azure gcp docker
kubernetes jenkins git github gitlab jira confluence salesforce sap erp crm adobe photoshop illustrator
indesign acrobat premiere autocad solidworks revit matlab labview simulink spss sas stata r scala go
golang rust ruby rails php perl swift kotlin flutter react angular vue node nodejs django flask spring
hibernate html css bootstrap jquery json xml rest api apis graphql tensorflow pytorch keras sklearn
scikit pandas numpy scipy matplotlib nlp ml ai cv etl bi dw olap selenium cucumber junit pytest
ansible terraform chef puppet nagios splunk elasticsearch kibana logstash grafana prometheus vmware
citrix cisco juniper ccna ccnp mcse itil pmp scrum agile kanban waterfall six sigma lean kaizen
quickbooks tally peachtree sage netsuite workday peoplesoft dynamics sharepoint teams zoom slack
visio project access crystal reports informatica datastage talend ssis ssrs ssas qlik qlikview
looker alteryx knime rapidminer weka dataiku databricks snowflake redshift bigquery teradata
netezza db2 sybase sqlite firebase heroku netlify vercel wordpress drupal joomla magento shopify
woocommerce figma sketch invision zeplin blender unity unreal opencv yolo bert gpt llm
mainframe cobol fortran assembly vb vba net dotnet asp mvc wpf winforms xamarin ionic cordova
objective
"""

_PLACES = """
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma
oregon pennsylvania rhode island tennessee texas utah vermont virginia washington wisconsin wyoming
america american usa us uk britain british england english scotland scottish wales welsh ireland irish
canada canadian australia australian india indian maharashtra karnataka kerala tamil nadu telangana
andhra pradesh gujarat rajasthan punjab haryana bihar bengal delhi mumbai pune bangalore bengaluru
hyderabad chennai kolkata noida gurgaon gurugram ahmedabad nagpur london paris berlin tokyo singapore
dubai toronto vancouver montreal sydney melbourne chicago boston houston dallas austin seattle denver
atlanta miami phoenix philadelphia detroit portland francisco angeles diego jose las vegas orleans
north south east west northern southern eastern western central new san los santa saint st fort lake
port mount county city nagar lanka sri hong kong china japan korea taiwan thailand vietnam malaysia indonesia
philippines nepal pakistan bangladesh africa nigeria kenya egypt europe germany france spain italy
portugal netherlands belgium sweden norway denmark finland poland russia ukraine brazil argentina chile
peru colombia asia pacific gulf saudi arabia qatar kuwait oman bahrain emirates uae israel turkey
"""

_BUSINESS = """
job jobs segment global international national worldwide regional company companies corporation corp corporate
inc incorporated llc llp ltd limited plc pvt private co group groups holdings holding partners partner
partnership ventures venture associates association foundation foundations institute trust trusts bank
capital mutual insurance act acts law laws ordinance regulation regulations code codes standard standards
classification classifications method methods model models theory principle principles school schools
society societies council councils committee committees board boards agency agencies authority ministry
federation union unions league club clubs center centre centers centres hospital hospitals clinic academy
enterprise enterprises industries industry industrial brands brand products store stores market markets
restaurant restaurants cafe hotel hotels resort resorts airlines airways motors automotive pharma
pharmaceuticals labs laboratories communications telecom networks media entertainment studios studio
publishing press news times journal magazine radio television tv films pictures records music arts
sports fitness gym wellness health care homes realty properties property estate construction builders
logistics transport shipping freight express energy power oil gas electric electricals electronics
chemicals steel metals mining foods food beverages farms dairy bakery retail wholesale trading traders
exports imports consulting consultancy consultants advisors solutions services systems technologies tech
software infotech infosys dell hp ibm intel cisco accenture deloitte kpmg pwc ey wipro tcs cognizant
capgemini amazon walmart target costco pfizer
govt government duties duty payment payments troubleshooting support lan wan vpn dns dhcp tcp ip
"""

_CALENDAR = """
january february march april may june july august september october november december jan feb mar apr
jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue tues
wed thu thur thurs fri sat sun spring summer autumn fall winter
"""

# Occupational words that are also common surnames ("Tim Cook", "Kirsty Baker"): after a known first
# name they are read as a surname; on their own (a title line) they still count as career words.
SURNAME_OCCUPATIONS = frozenset([
    "baker", "bakers", "cook", "butcher", "mason", "carpenter", "painter", "porter", "fisher", "hunter",
    "turner", "barber", "brewer", "weaver", "taylor", "tailor", "miller", "carter", "cooper", "smith",
    "shepherd", "walker", "butler", "driver", "gardner", "gardener", "chandler", "sawyer", "tanner",
    "thatcher", "slater", "glazier", "marshal", "marshall", "steward", "stewart", "dean", "judge", "major",
    "bishop", "pope", "knight", "king", "queen", "prince", "duke", "earl", "page", "young", "long", "white",
    "black", "brown", "green", "gray", "grey", "wood", "woods", "hall", "hill", "field", "fields", "rose",
    "price", "rich", "bell", "lane", "farmer", "archer", "bowman", "fowler", "forester", "potter", "glover",
    "singer", "skinner", "wheeler", "spencer", "parker", "chamberlain", "clark", "clerk", "cutter", "draper",
    "dyer", "fuller", "hooper", "mercer", "sexton", "tyler", "day", "more", "best", "love", "hope", "joy",
    "sterling", "master", "strong", "date"
])


# First names (in the census gazetteer) that are also everyday words in career text ("Loan
# Processor", "Van Driver", "Long Term", "Art Director", "Grant Writer"): never a name on their own,
# and never the first name of a gazetteer pair; context rules still catch "My name is Grace Lee".
AMBIGUOUS_FIRST_NAMES = frozenset([
    'carry', 'art', 'long', 'del', 'una', 'manual', 'young', 'clay', 'numbers', 'forest', 'see', 'grant',
    'loan', 'mark', 'foster', 'love', 'son', 'gene', 'honey', 'desire', 'man', 'ray', 'brain', 'page',
    'rich', 'precious', 'esta', 'vida', 'china', 'les', 'charity', 'van', 'han', 'era', 'sun', 'hope',
    'diamond', 'chance', 'bill', 'kit', 'jewel', 'harmony', 'else', 'season', 'hang', 'candy', 'conception',
    'jack', 'temple', 'angle', 'winter', 'summer', 'flora', 'derrick', 'melody', 'rod', 'faith', 'bell',
    'moon', 'reed', 'miss', 'song', 'luz', 'iris', 'star', 'meta', 'chase', 'tiny', 'royal', 'ping', 'miles',
    'chi', 'booker', 'bee', 'alta', 'willow', 'ward', 'patience', 'merry', 'marry', 'lady', 'joy', 'buena',
    'viola', 'tai', 'pat', 'olive', 'noble', 'liberty', 'grace', 'dia', 'dawn', 'bunny', 'sunshine',
    'sterling', 'penny', 'champion', 'monte', 'will', 'major', 'golden', 'cash', 'guy', 'hunter', 'rose',
    'ruby', 'crystal', 'amber', 'jade', 'pearl', 'ginger', 'cherry', 'sky', 'storm', 'august', 'april',
    'may', 'june', 'autumn', 'sage', 'river', 'rocky', 'stone', 'dale', 'glen', 'lane', 'earl', 'king',
    'prince', 'duke', 'al', 'el', 'de', 'la', 'le', 'van', 'von', 'da', 'di', 'du', 'del', 'dell'
])


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


# words that never start or continue a name, whatever the context ("Name: John And ...")
CORE_FUNCTION_WORDS = _words("""
a an the and or nor but of in on at to for with from by as into is are was were be been am i we you he she they
my our your his her their this that these those it its me us him them who whom what which when where why how
""")


FUNCTION_WORDS = _words(_FUNCTION)
CAREER_WORDS = _words(_RESUME) | _words(_CAREER) | _words(_TECH) | _words(_BUSINESS)
PLACE_WORDS = _words(_PLACES)
CALENDAR_WORDS = _words(_CALENDAR)
NOT_NAME_WORDS = FUNCTION_WORDS | CAREER_WORDS | PLACE_WORDS | CALENDAR_WORDS

_SPLIT = re.compile(r"[-'’.]")


def _key(word: str) -> str:
    return word.strip(".,;:()[]\"'’").lower()


def is_not_name(word: str) -> bool:
    """Whether ``word`` (any case) is a function, career, place or calendar word (never a name part)."""
    key = _key(word)
    if key in NOT_NAME_WORDS:
        return True
    # "Sr.-Engineer", "Data-Scientist": a compound with a career word in it
    return any(part in NOT_NAME_WORDS for part in _SPLIT.split(key) if len(part) > 2)


def is_career_word(word: str) -> bool:
    return _key(word) in CAREER_WORDS


def could_be_surname(word: str) -> bool:
    """A word after a known first name: a surname unless it is a non-name word (bar occupational surnames)."""
    key = _key(word)
    return key in SURNAME_OCCUPATIONS or not is_not_name(word)
