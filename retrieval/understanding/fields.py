"""Career fields people name as goals ("move into finance", "get into healthcare"), as O*NET-SOC prefixes.

A field is what a careers adviser would call one: the SOC groups it covers are chosen by hand,
reviewed against the O*NET taxonomy (``tests/test_understanding_fields.py`` checks that every prefix
names occupations of the catalogue). Aliases are the words people use; they are matched on
:func:`retrieval.understanding.keys.title_key`, so plurals and British spellings need no entry.
Where a person names an occupation rather than a field ("become a lawyer") the title index answers
instead, and where neither matches, the goal is matched by meaning against these names and the
occupation titles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CareerField:
    name: str
    aliases: tuple[str, ...]
    soc_prefixes: tuple[str, ...]


FIELDS: tuple[CareerField, ...] = (
    CareerField("finance", ("finance", "financial", "financial services", "banking", "investment", "investments",
                            "investment banking", "wealth management", "corporate finance", "fintech", "financial planning",
                            "financial analysis"),
                ("13-2", "11-3031")),
    CareerField("accounting", ("accounting", "accountancy", "bookkeeping", "auditing", "audit", "tax", "taxation"),
                ("13-2011", "13-2081", "13-2082", "43-3031", "13-2041")),
    CareerField("insurance", ("insurance", "underwriting", "actuarial", "claims"), ("13-2053", "41-3021", "13-1031", "15-2011")),
    CareerField("healthcare", ("healthcare", "health care", "health", "medicine", "medical", "the medical field", "clinical",
                               "patient care", "hospital"),
                ("29-", "31-")),
    CareerField("healthcare administration", ("healthcare administration", "health administration", "hospital administration",
                                              "healthcare management", "health care management", "medical administration",
                                              "health services management", "health informatics"),
                ("11-9111", "29-9021", "29-2072", "43-6013")),
    CareerField("nursing", ("nursing",), ("29-1141", "29-1151", "29-1161", "29-1171", "29-2061", "31-1131")),
    CareerField("mental health", ("mental health", "counseling", "therapy", "psychotherapy", "psychology", "social work",
                                  "behavioral health", "addiction counseling"),
                ("21-1011", "21-1012", "21-1013", "21-1014", "21-1021", "21-1022", "21-1023", "19-3033", "19-3034", "29-1223")),
    CareerField("software development", ("software development", "software engineering", "software", "programming", "coding",
                                         "development", "app development", "tech", "technology", "the tech industry", "it",
                                         "information technology", "computer", "computers", "computing"),
                ("15-12",)),
    CareerField("web development", ("web development", "web design", "front end", "frontend", "front-end development",
                                    "back end", "backend", "full stack"),
                ("15-1254", "15-1255", "15-1252")),
    CareerField("data science", ("data science", "data", "data analytics", "analytics", "data analysis", "machine learning",
                                 "ai", "artificial intelligence", "business intelligence", "statistics", "data engineering",
                                 "big data"),
                ("15-2051", "15-2041", "15-2031", "15-1243", "15-1221", "13-1161", "15-1242", "15-1211")),
    CareerField("cybersecurity", ("cybersecurity", "cyber security", "information security", "infosec", "security",
                                  "network security", "ethical hacking", "penetration testing"),
                ("15-1212", "15-1299.04", "15-1299.05", "15-1241", "15-1244")),
    CareerField("management", ("management", "leadership", "manager", "managing", "people management", "a management role",
                               "a leadership role", "executive", "the executive level"),
                ("11-",)),
    CareerField("project management", ("project management", "program management", "product management", "scrum",
                                       "agile project management", "pmo"),
                ("13-1082", "11-9199.01", "11-2011", "11-3021", "15-1299.09")),
    CareerField("human resources", ("human resources", "hr", "recruiting", "recruitment", "talent acquisition", "people operations",
                                    "training and development", "learning and development"),
                ("13-1071", "13-1075", "13-1141", "13-1151", "11-3111", "11-3121", "11-3131", "43-4161")),
    CareerField("marketing", ("marketing", "digital marketing", "advertising", "brand management", "social media",
                              "public relations", "pr", "communications", "seo", "content marketing"),
                ("11-2011", "11-2021", "11-2032", "11-2033", "13-1161", "27-3031", "41-3011", "27-3043")),
    CareerField("sales", ("sales", "selling", "business development", "account management", "retail sales"),
                ("41-", "11-2022")),
    CareerField("law", ("law", "legal", "the legal field", "legal profession", "the law"), ("23-",)),
    CareerField("teaching", ("teaching", "education", "schools", "school", "tutoring", "academia", "the classroom",
                             "instruction", "training"),
                ("25-",)),
    CareerField("engineering", ("engineering",), ("17-2", "11-9041")),
    CareerField("construction", ("construction", "the trades", "trades", "a trade", "skilled trades", "building"),
                ("47-", "11-9021")),
    CareerField("electrical", ("electrical work", "electrician work", "electrical trade"), ("47-2111", "49-2")),
    CareerField("real estate", ("real estate", "property", "property management"), ("41-9021", "41-9022", "11-9141", "13-2023")),
    CareerField("hospitality", ("hospitality", "hotels", "hotel management", "tourism", "travel", "events", "event planning"),
                ("11-9051", "11-9081", "13-1121", "35-1012", "43-4081", "39-7", "41-3041")),
    CareerField("food", ("culinary", "cooking", "restaurants", "the restaurant industry", "food service", "baking", "chef"),
                ("35-", "11-9051", "51-3011")),
    CareerField("arts and design", ("art", "arts", "design", "creative", "the creative industry", "graphic design", "ux design",
                                    "ux", "illustration", "animation", "photography", "fashion", "music", "film", "media",
                                    "entertainment"),
                ("27-1", "27-2", "27-4", "15-1255")),
    CareerField("writing", ("writing", "journalism", "publishing", "copywriting", "editing", "content writing",
                            "technical writing"),
                ("27-3041", "27-3042", "27-3043", "27-3023", "27-3031")),
    CareerField("science", ("science", "research", "scientific research", "biology", "chemistry", "physics", "lab",
                            "laboratory", "environmental science", "biotech", "biotechnology"),
                ("19-1", "19-2", "19-4", "19-5")),
    CareerField("social services", ("social services", "nonprofit", "non-profit", "charity", "community work",
                                    "community service", "helping people", "youth work"),
                ("21-", "11-9151")),
    CareerField("public safety", ("public safety", "law enforcement", "policing", "police", "firefighting", "fire service",
                                  "emergency services", "corrections", "security work"),
                ("33-",)),
    CareerField("transportation", ("transportation", "logistics", "supply chain", "shipping", "trucking", "warehousing",
                                   "distribution", "delivery", "procurement", "purchasing", "operations"),
                ("13-1081", "11-3071", "53-", "43-5011", "43-5061", "13-1023", "11-3061")),
    CareerField("aviation", ("aviation", "flying", "airlines", "aerospace"), ("53-2", "49-3011", "17-2011")),
    CareerField("manufacturing", ("manufacturing", "production", "factory work", "fabrication", "machining"),
                ("51-", "11-3051", "17-3026")),
    CareerField("agriculture", ("agriculture", "farming", "forestry", "landscaping", "horticulture", "environmental work",
                                "conservation"),
                ("45-", "11-9013", "19-1031", "37-1012", "37-3011")),
    CareerField("fitness", ("fitness", "personal training", "sports", "coaching", "wellness", "nutrition"),
                ("39-9031", "27-2022", "29-1031", "29-1128", "39-9032")),
    CareerField("administration", ("administration", "office work", "admin", "administrative work", "office administration",
                                   "clerical work"),
                ("43-", "11-3012", "11-3013")),
    CareerField("government", ("government", "public service", "public sector", "policy", "public policy", "civil service"),
                ("11-1031", "13-1041", "19-3094", "13-2081", "43-4031", "19-3011", "11-1011.00", "11-1021")),
    CareerField("beauty", ("beauty", "cosmetology", "hairdressing", "barbering", "esthetics"), ("39-5",)),
    CareerField("childcare", ("childcare", "child care", "early childhood", "early years", "nanny work"),
                ("39-9011", "25-2011", "25-2012", "25-9042", "11-9031")),
    CareerField("veterinary", ("veterinary", "animal care", "animals", "vet work"),
                ("29-1131", "29-2056", "31-9096", "39-2021", "39-2011")),
    CareerField("mechanics", ("auto repair", "mechanics", "automotive", "car repair", "maintenance and repair", "repair work"),
                ("49-",)),
    CareerField("pharmacy", ("pharmacy", "pharmaceuticals", "pharma"), ("29-1051", "29-2052", "41-4011.07", "19-1042")),
)
