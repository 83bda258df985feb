-- Starter catalogue for temporary mobility (action plan building block 8): the competencies
-- an HR mobility team asks for in an assignment, the talent tags a staff member uses for what
-- they are good at, like doing and find important, and the Belgian postcode blocks that give
-- a rough travel-time estimate between home and an assignment. The tables come from 0010.
--
-- This is a starting point, not a closed list: administrators add, relabel and deactivate
-- competencies and talents through the API. ON CONFLICT DO NOTHING leaves alone any row
-- that already exists under the same key.
--
-- Codes are lowerCamelCase English and not meant for display; every code carries a Dutch
-- (Flemish public-sector usage), French (Belgian), German and English label.
--
-- postal_areas: one row per hundred-block of Belgian postcodes in use (the first two
-- digits). place is the block's main town: its regional centre or largest municipality,
-- often but not always the one whose code opens the block. Where that is a district of
-- Antwerp, Bruges or Namur, the city is named with the district in brackets; Brussels
-- places carry both official names, the others their name in the local language.
-- Coordinates are the approximate town centre (WGS84, 4 decimals, good to about a
-- kilometre): enough for a distance estimate, not for routing. Blocks 27, 52, 54, 57-59,
-- 63, 72, 74 and 81 are not in use and have no row.

-- MARK: Competencies

INSERT INTO competencies (code, label_nl, label_fr, label_de, label_en) VALUES
    ('policyAnalysis',           'Beleidsanalyse',                                  'Analyse des politiques publiques',       'Politikanalyse',                                 'Policy analysis'),
    ('legalDrafting',            'Opstellen van regelgeving en juridische teksten', 'Rédaction juridique et légistique',      'Abfassung von Rechtstexten',                     'Legal drafting'),
    ('legalAdvice',              'Juridisch advies',                                'Conseil juridique',                      'Rechtsberatung',                                 'Legal advice'),
    ('publicProcurement',        'Overheidsopdrachten',                             'Marchés publics',                        'Öffentliches Auftragswesen',                     'Public procurement'),
    ('budgetAndFinance',         'Begroting en financiën',                          'Budget et finances',                     'Haushalt und Finanzen',                          'Budget and finance'),
    ('accounting',               'Boekhouding',                                     'Comptabilité',                           'Buchhaltung',                                    'Accounting'),
    ('internalAudit',            'Interne audit',                                   'Audit interne',                          'Interne Revision',                               'Internal audit'),
    ('projectManagement',        'Projectmanagement',                               'Gestion de projets',                     'Projektmanagement',                              'Project management'),
    ('dataAnalysis',             'Data-analyse',                                    'Analyse de données',                     'Datenanalyse',                                   'Data analysis'),
    ('statistics',               'Statistiek',                                      'Statistique',                            'Statistik',                                      'Statistics'),
    ('gis',                      'GIS en geografische informatie',                  'SIG et information géographique',        'GIS und Geoinformation',                         'GIS and geographic information'),
    ('itSupport',                'ICT-ondersteuning en helpdesk',                   'Support informatique et helpdesk',       'IT-Support und Helpdesk',                        'IT support and helpdesk'),
    ('softwareDevelopment',      'Softwareontwikkeling',                            'Développement de logiciels',             'Softwareentwicklung',                            'Software development'),
    ('informationSecurity',      'Informatiebeveiliging',                           'Sécurité de l''information',             'Informationssicherheit',                         'Information security'),
    ('dataProtection',           'Gegevensbescherming en privacy',                  'Protection des données et vie privée',   'Datenschutz',                                    'Data protection and privacy'),
    ('customerService',          'Onthaal en klantencontact',                       'Accueil et service aux usagers',         'Empfang und Bürgerservice',                      'Front office and customer service'),
    ('citizenCounselling',       'Burgers adviseren en begeleiden',                 'Conseil et accompagnement des citoyens', 'Beratung und Begleitung von Bürgern',            'Citizen counselling'),
    ('caseHandling',             'Dossierbehandeling (dossiers en vergunningen)',   'Traitement de dossiers et de permis',    'Sachbearbeitung (Akten und Genehmigungen)',      'Case handling (files and permits)'),
    ('administrativeSupport',    'Administratieve ondersteuning',                   'Soutien administratif',                  'Verwaltungsassistenz',                           'Administrative support'),
    ('recordsManagement',        'Archief- en documentbeheer',                      'Gestion des documents et des archives',  'Schriftgutverwaltung und Archivierung',          'Records management'),
    ('communication',            'Communicatie en copywriting',                     'Communication et rédaction',             'Kommunikation und Texterstellung',               'Communication and copywriting'),
    ('translation',              'Vertaling',                                       'Traduction',                             'Übersetzung',                                    'Translation'),
    ('eventOrganisation',        'Organisatie van evenementen',                     'Organisation d''événements',             'Veranstaltungsorganisation',                     'Event organisation'),
    ('hrAdministration',         'Personeelsadministratie',                         'Administration du personnel',            'Personalverwaltung',                             'HR administration'),
    ('payroll',                  'Loonadministratie',                               'Gestion de la paie',                     'Gehaltsabrechnung',                              'Payroll'),
    ('recruitment',              'Werving en selectie',                             'Recrutement et sélection',               'Personalgewinnung und -auswahl',                 'Recruitment and selection'),
    ('trainingAndCoaching',      'Opleiding en coaching',                           'Formation et coaching',                  'Schulung und Coaching',                          'Training and coaching'),
    ('facilityManagement',       'Facilitair beheer',                               'Gestion des bâtiments et logistique',    'Gebäude- und Facility-Management',               'Facility management'),
    ('technicalMaintenance',     'Technisch onderhoud',                             'Maintenance technique',                  'Technische Instandhaltung',                      'Technical maintenance'),
    ('laboratoryWork',           'Laboratoriumwerk',                                'Travail de laboratoire',                 'Laborarbeit',                                    'Laboratory work'),
    ('inspectionAndEnforcement', 'Inspectie en handhaving',                         'Inspection et contrôle',                 'Kontrolle und Durchsetzung',                     'Inspection and enforcement'),
    ('socialWork',               'Maatschappelijk werk',                            'Travail social',                         'Sozialarbeit',                                   'Social work'),
    ('healthAndSafety',          'Preventie en welzijn op het werk',                'Prévention et bien-être au travail',     'Arbeitsschutz und Wohlbefinden am Arbeitsplatz', 'Health and safety at work'),
    ('environmentalExpertise',   'Milieudeskundigheid',                             'Expertise environnementale',             'Umweltfachwissen',                               'Environmental expertise'),
    ('spatialPlanning',          'Ruimtelijke ordening',                            'Aménagement du territoire',              'Raumordnung',                                    'Spatial planning'),
    ('mobilityAndTraffic',       'Mobiliteit en verkeer',                           'Mobilité et circulation',                'Mobilität und Verkehr',                          'Mobility and traffic'),
    ('qualityManagement',        'Kwaliteitszorg',                                  'Gestion de la qualité',                  'Qualitätsmanagement',                            'Quality management'),
    ('changeManagement',         'Verandermanagement',                              'Gestion du changement',                  'Veränderungsmanagement',                         'Change management'),
    ('stakeholderManagement',    'Stakeholdermanagement',                           'Gestion des parties prenantes',          'Stakeholder-Management',                         'Stakeholder management'),
    ('negotiation',              'Onderhandelen',                                   'Négociation',                            'Verhandlungsführung',                            'Negotiation'),
    ('teamLeadership',           'Leidinggeven aan een team',                       'Direction d''équipe',                    'Teamleitung',                                    'Team leadership'),
    ('digitalSkills',            'Digitale vaardigheden en kantoorsoftware',        'Compétences numériques et bureautique',  'Digitale Kompetenzen und Bürosoftware',          'Digital skills and office software'),
    ('dutchLanguage',            'Taalvaardigheid Nederlands',                      'Connaissance du néerlandais',            'Niederländischkenntnisse',                       'Dutch language'),
    ('frenchLanguage',           'Taalvaardigheid Frans',                           'Connaissance du français',               'Französischkenntnisse',                          'French language'),
    ('germanLanguage',           'Taalvaardigheid Duits',                           'Connaissance de l''allemand',            'Deutschkenntnisse',                              'German language'),
    ('englishLanguage',          'Taalvaardigheid Engels',                          'Connaissance de l''anglais',             'Englischkenntnisse',                             'English language')
ON CONFLICT DO NOTHING;

-- MARK: Talents (good at / likes doing / finds important)

INSERT INTO talents (code, label_nl, label_fr, label_de, label_en) VALUES
    ('analysing',            'Analyseren',                     'Analyser',                                          'Analysieren',                             'Analysing'),
    ('organising',           'Organiseren',                    'Organiser',                                         'Organisieren',                            'Organising'),
    ('planning',             'Plannen',                        'Planifier',                                         'Planen',                                  'Planning'),
    ('solvingProblems',      'Problemen oplossen',             'Résoudre des problèmes',                            'Probleme lösen',                          'Solving problems'),
    ('writing',              'Schrijven',                      'Rédiger',                                           'Schreiben',                               'Writing'),
    ('workingWithNumbers',   'Werken met cijfers',             'Travailler avec des chiffres',                      'Arbeiten mit Zahlen',                     'Working with numbers'),
    ('precision',            'Nauwkeurigheid',                 'Précision',                                         'Genauigkeit',                             'Precision'),
    ('creativeWork',         'Creatief werk',                  'Travail créatif',                                   'Kreative Arbeit',                         'Creative work'),
    ('innovating',           'Vernieuwen',                     'Innover',                                           'Neues entwickeln',                        'Innovating'),
    ('technology',           'Technologie',                    'Technologie',                                       'Technik und Technologie',                 'Technology'),
    ('workingWithHands',     'Met de handen werken',           'Travailler de ses mains',                           'Handwerklich arbeiten',                   'Working with one''s hands'),
    ('workingOutdoors',      'Buiten werken',                  'Travailler à l''extérieur',                         'Arbeiten im Freien',                      'Working outdoors'),
    ('physicalActivity',     'Fysiek actief zijn',             'Être physiquement actif',                           'Körperlich aktiv sein',                   'Being physically active'),
    ('helpingPeople',        'Mensen helpen',                  'Aider les gens',                                    'Menschen helfen',                         'Helping people'),
    ('caring',               'Zorgen voor anderen',            'Prendre soin des autres',                           'Sich um andere kümmern',                  'Caring for others'),
    ('listening',            'Luisteren',                      'Écouter',                                           'Zuhören',                                 'Listening'),
    ('teaching',             'Lesgeven en uitleggen',          'Enseigner et expliquer',                            'Unterrichten und erklären',               'Teaching and explaining'),
    ('presenting',           'Presenteren',                    'Présenter',                                         'Präsentieren',                            'Presenting'),
    ('persuading',           'Overtuigen',                     'Convaincre',                                        'Überzeugen',                              'Persuading'),
    ('mediating',            'Bemiddelen',                     'Faire de la médiation',                             'Vermitteln',                              'Mediating'),
    ('leading',              'Leidinggeven',                   'Diriger',                                           'Führen',                                  'Leading'),
    ('contactWithCitizens',  'Contact met burgers',            'Contact avec les citoyens',                         'Kontakt mit Bürgerinnen und Bürgern',     'Contact with citizens'),
    ('teamwork',             'Samenwerken in een team',        'Travailler en équipe',                              'Teamarbeit',                              'Teamwork'),
    ('workingIndependently', 'Zelfstandig werken',             'Travailler de manière autonome',                    'Selbstständiges Arbeiten',                'Working independently'),
    ('structureAndRoutine',  'Structuur en vaste routines',    'Structure et routine',                              'Struktur und Routine',                    'Structure and routine'),
    ('variety',              'Afwisseling',                    'Variété',                                           'Abwechslung',                             'Variety'),
    ('quietEnvironment',     'Rustige werkomgeving',           'Environnement de travail calme',                    'Ruhige Arbeitsumgebung',                  'Quiet working environment'),
    ('learningNewThings',    'Nieuwe dingen leren',            'Apprendre de nouvelles choses',                     'Neues lernen',                            'Learning new things'),
    ('societalImpact',       'Maatschappelijke impact',        'Impact sociétal',                                   'Gesellschaftliche Wirkung',               'Societal impact'),
    ('sustainability',       'Duurzaamheid',                   'Durabilité',                                        'Nachhaltigkeit',                          'Sustainability'),
    ('justice',              'Rechtvaardigheid',               'Justice et équité',                                 'Gerechtigkeit',                           'Justice and fairness'),
    ('recognition',          'Waardering',                     'Reconnaissance',                                    'Anerkennung',                             'Recognition'),
    ('stability',            'Stabiliteit en zekerheid',       'Stabilité et sécurité',                             'Stabilität und Sicherheit',               'Stability and security'),
    ('workLifeBalance',      'Evenwicht tussen werk en privé', 'Équilibre entre vie professionnelle et vie privée', 'Vereinbarkeit von Beruf und Privatleben', 'Work-life balance')
ON CONFLICT DO NOTHING;

-- MARK: Postal areas

INSERT INTO postal_areas (prefix, place, latitude, longitude) VALUES
    -- Brussels-Capital Region
    (10, 'Brussel / Bruxelles',                           50.8467, 4.3525),
    (11, 'Ukkel / Uccle',                                 50.8020, 4.3380),
    (12, 'Sint-Lambrechts-Woluwe / Woluwe-Saint-Lambert', 50.8424, 4.4239),
    -- Walloon Brabant
    (13, 'Wavre',                                         50.7169, 4.6116),
    (14, 'Nivelles',                                      50.5983, 4.3270),
    -- Flemish Brabant, Halle-Vilvoorde
    (15, 'Halle',                                         50.7336, 4.2347),
    (16, 'Sint-Pieters-Leeuw',                            50.7842, 4.2427),
    (17, 'Dilbeek',                                       50.8465, 4.2621),
    (18, 'Vilvoorde',                                     50.9281, 4.4245),
    (19, 'Zaventem',                                      50.8830, 4.4730),
    -- Antwerp (27xx is not in use)
    (20, 'Antwerpen',                                     51.2194, 4.4025),
    (21, 'Antwerpen (Deurne)',                            51.2207, 4.4648),
    (22, 'Herentals',                                     51.1770, 4.8340),
    (23, 'Turnhout',                                      51.3227, 4.9447),
    (24, 'Geel',                                          51.1626, 4.9908),
    (25, 'Lier',                                          51.1310, 4.5703),
    (26, 'Antwerpen (Berchem)',                           51.1956, 4.4188),
    (28, 'Mechelen',                                      51.0280, 4.4800),
    (29, 'Brasschaat',                                    51.2923, 4.4942),
    -- Flemish Brabant, Leuven
    (30, 'Leuven',                                        50.8796, 4.7009),
    (31, 'Rotselaar',                                     50.9536, 4.7215),
    (32, 'Aarschot',                                      50.9850, 4.8360),
    (33, 'Tienen',                                        50.8078, 4.9378),
    (34, 'Landen',                                        50.7530, 5.0820),
    -- Limburg
    (35, 'Hasselt',                                       50.9307, 5.3378),
    (36, 'Genk',                                          50.9650, 5.5008),
    (37, 'Tongeren',                                      50.7806, 5.4645),
    (38, 'Sint-Truiden',                                  50.8165, 5.1865),
    (39, 'Lommel',                                        51.2306, 5.3130),
    -- Liège
    (40, 'Liège',                                         50.6451, 5.5734),
    (41, 'Seraing',                                       50.6000, 5.5000),
    (42, 'Hannut',                                        50.6722, 5.0778),
    (43, 'Waremme',                                       50.6976, 5.2555),
    (44, 'Ans',                                           50.6600, 5.5200),
    (45, 'Huy',                                           50.5189, 5.2392),
    (46, 'Visé',                                          50.7380, 5.6960),
    (47, 'Eupen',                                         50.6286, 6.0364),
    (48, 'Verviers',                                      50.5911, 5.8656),
    (49, 'Spa',                                           50.4924, 5.8640),
    -- Namur (52xx, 54xx and 57xx-59xx are not in use)
    (50, 'Namur',                                         50.4669, 4.8675),
    (51, 'Namur (Jambes)',                                50.4564, 4.8719),
    (53, 'Andenne',                                       50.4890, 5.0950),
    (55, 'Dinant',                                        50.2600, 4.9120),
    (56, 'Philippeville',                                 50.1958, 4.5430),
    -- Hainaut, Charleroi-Thuin (63xx is not in use)
    (60, 'Charleroi',                                     50.4108, 4.4446),
    (61, 'Courcelles',                                    50.4630, 4.3720),
    (62, 'Châtelet',                                      50.4061, 4.5279),
    (64, 'Chimay',                                        50.0480, 4.3170),
    (65, 'Thuin',                                         50.3400, 4.2890),
    -- Luxembourg
    (66, 'Bastogne',                                      50.0010, 5.7150),
    (67, 'Arlon',                                         49.6833, 5.8167),
    (68, 'Libramont-Chevigny',                            49.9200, 5.3780),
    (69, 'Marche-en-Famenne',                             50.2268, 5.3443),
    -- Hainaut (72xx and 74xx are not in use)
    (70, 'Mons',                                          50.4542, 3.9523),
    (71, 'La Louvière',                                   50.4700, 4.1870),
    (73, 'Saint-Ghislain',                                50.4491, 3.8184),
    (75, 'Tournai',                                       50.6066, 3.3881),
    (76, 'Péruwelz',                                      50.5085, 3.5930),
    (77, 'Mouscron',                                      50.7440, 3.2140),
    (78, 'Ath',                                           50.6294, 3.7781),
    (79, 'Leuze-en-Hainaut',                              50.5990, 3.6180),
    -- West Flanders (81xx is not in use)
    (80, 'Brugge',                                        51.2089, 3.2242),
    (82, 'Brugge (Sint-Andries)',                         51.1972, 3.1795),
    (83, 'Knokke-Heist',                                  51.3467, 3.2893),
    (84, 'Oostende',                                      51.2303, 2.9185),
    (85, 'Kortrijk',                                      50.8280, 3.2650),
    (86, 'Diksmuide',                                     51.0324, 2.8637),
    (87, 'Tielt',                                         50.9991, 3.3266),
    (88, 'Roeselare',                                     50.9468, 3.1239),
    (89, 'Ieper',                                         50.8512, 2.8852),
    -- East Flanders
    (90, 'Gent',                                          51.0543, 3.7174),
    (91, 'Sint-Niklaas',                                  51.1655, 4.1433),
    (92, 'Dendermonde',                                   51.0284, 4.1005),
    (93, 'Aalst',                                         50.9380, 4.0390),
    (94, 'Ninove',                                        50.8300, 4.0230),
    (95, 'Geraardsbergen',                                50.7720, 3.8830),
    (96, 'Ronse',                                         50.7460, 3.6000),
    (97, 'Oudenaarde',                                    50.8450, 3.6046),
    (98, 'Deinze',                                        50.9840, 3.5270),
    (99, 'Eeklo',                                         51.1870, 3.5660)
ON CONFLICT DO NOTHING;
