"""Every interface string of the report, one dictionary per language.

The values are trusted HTML templates for :meth:`report_format.Locale.t`: the
``{fields}`` they are filled with are escaped and formatted by the caller. Nouns
that take a count are ``noun.one`` / ``noun.other`` pairs for
:meth:`report_format.Locale.count`. Swedish is the default: the readers are
Swedish municipalities and their analysts.
"""

from __future__ import annotations

SV: dict[str, str] = {
    "page.title": "Digitaliseringsmål i MRP",
    "h1": "Digitaliseringsmål i kommunernas mål- och resursplaner",
    "nav.summary": "Sammanfattning",
    "nav.breakdowns": "Fördelningar",
    "nav.municipalities": "Kommuner",
    "nav.evidence": "Underlag",
    "nav.documents": "Dokument",
    # the header's facts
    "fact.run": "Körning",
    "fact.model": "Modell",
    "fact.documents": "Dokument",
    "fact.years": "År",
    "fact.reference": "Referensdata",
    "run.with_date": "{date}, mrp-classify\u00a0{version}",
    "run.without_date": "mrp-classify\u00a0{version} (körningens datum okänt)",
    "model.unnamed": "namnlös",
    "model.fingerprint": "fingeravtryck {fingerprint}",
    "documents.facts": "{total} totalt: {ok} klassificerade, {error} kunde inte läsas, "
                       "{unresolved} kunde inte kopplas till en kommun",
    "documents.skipped": ", {skipped} hoppades över",
    "years.none": "inga",
    "reference": "folkmängd 31 dec {year} (SCB), {edition}",
    # caveats
    "caveat.errors": "<strong>Dokument som inte kunde läsas: {n}.</strong> De ingår inte i "
                     "någon profil; deras kommuner kan visas som ej behandlade.",
    "caveat.unresolved": "<strong>Dokument som inte kunde kopplas till en kommun och ett år: "
                         "{n}.</strong> De ingår inte i någon profil. Skriv kommunens namn i "
                         "filnamnet eller använd <code>--manifest</code>.",
    "caveat.flagged": "<strong>Dokument med problem vid textutvinningen: {n}</strong> (sidor "
                      "utan text, förvrängd text). Deras profiler kan missa mål.",
    "caveat.see_documents": 'Se <a href="#documents">Dokument</a>.',
    "caveat.review_below": " under {threshold}",
    "caveat.model": "Profilerna är <strong>förutsägelser från en språkmodell</strong>, inte en "
                    "manuell läsning: varje stycke klassas som inget mål, intern effektivisering "
                    "eller medborgarinriktat, och kommunens profil följer av dess stycken. "
                    "Säkerheten är modellens sannolikhet för profilen; profiler med en "
                    "säkerhet{review} markeras <strong>behöver granskas</strong> (streckade på "
                    'kartan). De avgörande styckena finns under <a href="#evidence">Underlag'
                    "</a>. Kommuner utan klassificerat dokument är <strong>ej behandlade"
                    "</strong>: de visas i grått och räknas aldrig som att de saknar mål.",
    # the summary of a year
    "summary.heading": "Sammanfattning {year}",
    "summary.none": "Ingen kommunprofil kunde tas fram: inget dokument både lästes och "
                    "kopplades till en kommun och ett år.",
    "summary.several_years": "Dokumenten gäller flera år; avsnittet visar det senaste, {year}. "
                             "Tidigare år ({earlier}) följer nedan; tabellerna listar alla år.",
    "summary.earlier": "(behandlade: {processed})",
    "headline": "invånare bor i <strong>kommuner som saknar digitaliseringsmål eller bara har "
                "mål om intern effektivisering</strong> ({municipalities}{review}). Det är "
                "{share} av invånarna i kommunerna med en profil.{excluded}",
    "headline.review": "; behöver granskas: {n}",
    "headline.missing": " Ej behandlade och inte medräknade: {municipalities} ({inhabitants} "
                        "invånare).",
    "headline.unreadable": " Oläsbar text, inte medräknade: {municipalities} ({inhabitants} "
                           "invånare).",
    "denominator": "Andelarna gäller invånarna i kommunerna med en profil: {inhabitants} "
                   "invånare i {municipalities}. Kommuner som inte behandlats eller vars text "
                   "inte gick att läsa ingår inte i dem.",
    "table.heading": "Kommuner och invånare per profil, {year}",
    "table.profile": "Profil",
    "table.municipalities": "Kommuner",
    "table.inhabitants": "Invånare",
    "table.share": "Andel",
    "table.needs_review": "Behöver granskas",
    "table.with_profile": "Med profil",
    "table.unreadable": "Oläsbar text (ej räknad)",
    "table.all": "Alla kommuner",
    "missing.all_processed": "Alla kommuner har behandlats.",
    "missing.summary": "Ej behandlade {year}: {municipalities}",
    "chart.profiles.heading": "Profiler per SKR-kommungrupp, {year}",
    "chart.profiles.note": "Staplarna visar hur de behandlade kommunerna i varje grupp "
                           "fördelar sig på profilerna; till höger hur många av gruppens "
                           "kommuner som har en profil. Totalt har {profiled} av {all} kommuner "
                           "en profil.",
    "chart.profiles.label": "Profiler per SKR-kommungrupp {year}",
    "chart.of": "{part} av {whole}",
    "chart.segment": "{group}: {profile}, {part} av {whole}",
    "chart.rate.heading": "Stycken med digitaliseringsmål per 10\u00a0000 ord, {year}",
    "chart.rate.note": "Stycken om intern effektivisering och medborgarinriktade stycken per "
                       "10\u00a0000 ord i gruppens dokument sammantaget.",
    "chart.rate.label": "Stycken med digitaliseringsmål per 10\u00a0000 ord per SKR-kommungrupp "
                        "{year}",
    "chart.none_processed": "ingen kommun behandlad",
    # the map
    "map.label": "Karta över Sverige: kommunernas profiler {year}",
    "map.inset": "{name} med omnejd, förstorad",
    "map.not_processed": "{kommun} ({code}): ej behandlad",
    "map.profile": "{kommun} ({code}): {profile}, säkerhet {confidence}{review}",
    "map.review": ", behöver granskas",
    "map.caption": "Peka på en kommun för att se dess profil; klicka på den för underlaget.",
    # the municipalities table
    "municipalities.heading": "Kommuner",
    "municipalities.note": "{rows}, en per kommun och år. Interna / medborgarinriktade: stycken "
                           "klassade som intern effektivisering / medborgarinriktade; "
                           "medborgarandel: deras andel av styckena med digitaliseringsmål. "
                           "Klicka på en kolumnrubrik för att sortera.",
    "municipalities.yes": "ja",
    "col.kommun": "Kommun",
    "col.code": "Kod",
    "col.year": "År",
    "col.profile": "Profil",
    "col.confidence": "Säkerhet",
    "col.needs_review": "Behöver granskas",
    "col.paragraphs": "Stycken",
    "col.internal": "Interna",
    "col.citizen": "Medborgar&shy;inriktade",
    "col.words": "Ord",
    "col.rate": "Digitala per 10\u00a0000 ord",
    "col.citizen_share": "Medborgar&shy;andel",
    "col.population": "Folkmängd",
    "col.kommungrupp": "Kommungrupp",
    # evidence
    "evidence.heading": "Underlag",
    "evidence.note": "Per kommun och år: styckena bakom profilen, med modellens sannolikhet "
                     "för deras etikett.",
    "evidence.confidence": "säkerhet {confidence}",
    "evidence.review": "behöver granskas",
    "evidence.meta": "Dokument: {files}. Profilsannolikheter: {probabilities}.",
    "evidence.none_close": "Inget stycke klassades som ett digitaliseringsmål. Listade: de "
                           "stycken som kom närmast.",
    "evidence.none": "Inget stycke klassades som ett digitaliseringsmål, och inget kom nära.",
    "evidence.deciding": "Styckena som avgjorde profilen, det mest sannolika först.",
    "evidence.page": "sida {page}",
    "evidence.under": ", under ”{heading}”",
    "evidence.shortened": "(förkortat; hela texten finns i paragraphs.csv)",
    # the documents table
    "documents.heading": "Dokument",
    "status.ok": "ok",
    "status.error": "kunde inte läsas",
    "status.skipped": "hoppades över",
    "status.unresolved": "ej kopplat",
    "doc.file": "Fil",
    "doc.status": "Status",
    "doc.message": "Fel / anmärkning",
    "doc.municipality": "Kommun",
    "doc.year": "År",
    "doc.pages": "Sidor",
    "doc.paragraphs": "Stycken",
    "doc.extraction": "Textutvinning",
    # the breakdowns (report_breakdowns)
    "bd.heading": "Fördelningar per grupp",
    "bd.none": "Ingen profil att fördela.",
    "bd.intro": "Per grupp: hur många av gruppens kommuner som har en läsbar plan, och "
                "kommunerna per profil. Den första siffran räknar kommunerna (eller invånarna) "
                "vars mest sannolika profil det är. Under den står det <em>förväntade</em> "
                "antalet, när varje kommun räknas med modellens sannolikhet för varje profil "
                "({model}), och inom parentes det intervall som {level} av dragningarna av "
                "alla kommuners profiler hamnar i. Intervallet täcker modellens osäkerhet om "
                "varje plan för sig, inte ett fel som alla planer delar, och aldrig kommuner "
                "som inte behandlats; ett förväntat värde som består av många små "
                "sannolikheter kan hamna utanför det. Stycken per 10\u00a0000 ord är "
                "medelvärdet över gruppens planer (varje plan väger lika, till skillnad från "
                "diagrammet ovan), med ett bootstrapintervall över kommunerna när gruppen har "
                "minst {min} planer.",
    "bd.earlier": "(med läsbar plan: {counted})",
    "bd.study.complete": "{year} har alla {all} kommuner en läsbar plan. I studiens termer "
                         "(Göteborgs universitet 2021):",
    "bd.study.incomplete": "{year} har bara {counted} av {all} kommuner en läsbar plan "
                           "({share} av invånarna). Studiens nationella siffror kräver alla "
                           "{all} och visas därför inte; tabellerna nedan gäller bara "
                           "kommunerna med en läsbar plan.",
    "bd.no_or_internal": "Inga mål eller endast intern effektivisering",
    "bd.ratio": "<strong>Storstäder mot landsbygd:</strong> {ratio}. Stycken med "
                "digitaliseringsmål per 10\u00a0000 ord, medel per plan: {big_mean} i "
                "storstäderna och de storstadsnära kommunerna ({big_plans}; {big_groups}), "
                "{rural_mean} i landsbygdskommunerna ({rural_plans}; {rural_groups}).",
    "bd.ratio.too_few": "(för få planer för ett intervall: det kräver minst {min} på varje "
                        "sida)",
    "bd.ratio.no_plans": "kan inte beräknas, ingen plan på ena sidan",
    "bd.ratio.no_rural_goals": "kan inte beräknas, inget stycke med digitaliseringsmål i "
                               "landsbygdskommunernas planer",
    "bd.expected": "förv. {value} <span class=nw>({interval})</span>",
    "bd.interval": "<span class=nw>({level}: {interval})</span>",
    "bd.unbounded": "obegränsat",
    "bd.too_few": "({plans}, inget intervall)",
    "bd.no_plan": "ingen läsbar plan",
    "bd.coverage": "{counted} av {all}",
    "bd.coverage.inhabitants": "{share} av invånarna",
    "bd.national": "Hela landet",
    "bd.col.group": "Grupp",
    "bd.col.counted": "Kommuner med läsbar plan",
    "bd.col.headline": "Invånare utan mål eller med endast intern effektivisering",
    "bd.col.density": "Stycken med digitaliserings&shy;mål per 10\u00a0000 ord",
    "bd.dim.huvudgrupp": "SKR:s huvudgrupper",
    "bd.dim.kommungrupp": "SKR:s kommungrupper",
    "bd.dim.bloc": "Styre",
    "bd.dim.tax_quartile": "Skattesats",
    "bd.source.skr": "SKR:s kommungruppsindelning {edition}.",
    "bd.source.bloc": "Partierna som styr efter valet {election} (mandatperioden {term}), i "
                      "block enligt SKR:s definition från 2022 (MP räknas till vänster).",
    "bd.source.bloc_unknown": "Styret är inte känt för planår före 2015: alla kommuner räknas "
                              "som ”{unknown}”.",
    "bd.source.tax": "Kommunal- och regionskatt {year} (Skatteverket) för alla planår, i "
                     "fjärdedelar av alla {all} kommuner med gränserna {q1}, {q2} och "
                     "{q3}\u00a0%.",
    "bd.bloc.borgerligt": "Borgerligt styre (M, C, L, KD)",
    "bd.bloc.borgerligt_SD": "Borgerligt styre med SD",
    "bd.bloc.blockoverskridande": "Blocköverskridande styre",
    "bd.bloc.vanster": "Vänsterstyre (S, V, MP)",
    "bd.bloc.SD_ovrigt": "SD och övriga",
    "bd.bloc.lokalt_ovrigt": "Lokala partier och övriga",
    "bd.bloc.okant": "Uppgift saknas",
    "bd.tax_quartile.Q1": "Q1, lägst",
    "bd.tax_quartile.Q2": "Q2, näst lägst",
    "bd.tax_quartile.Q3": "Q3, näst högst",
    "bd.tax_quartile.Q4": "Q4, högst",
    # names
    "profile.no_digital_goals": "Inga digitaliseringsmål",
    "profile.internal_only": "Endast intern effektivisering",
    "profile.citizen_facing": "Medborgarinriktade mål",
    "profile.missing": "Ej behandlad",
    "profile.needs_review": "behöver granskas",
    "label.none": "inget mål",
    "label.internal_efficiency": "intern effektivisering",
    "label.citizen_facing": "medborgarinriktat",
    "municipality.one": "kommun",
    "municipality.other": "kommuner",
    "row.one": "rad",
    "row.other": "rader",
    "plan.one": "plan",
    "plan.other": "planer",
}

EN: dict[str, str] = {
    "page.title": "MRP digitalisation goals",
    "h1": "Digitalisation goals in Swedish municipalities' mål- och resursplaner",
    "nav.summary": "Summary",
    "nav.breakdowns": "Breakdowns",
    "nav.municipalities": "Municipalities",
    "nav.evidence": "Evidence",
    "nav.documents": "Documents",
    "fact.run": "Run",
    "fact.model": "Model",
    "fact.documents": "Documents",
    "fact.years": "Years covered",
    "fact.reference": "Reference data",
    "run.with_date": "{date}, mrp-classify\u00a0{version}",
    "run.without_date": "mrp-classify\u00a0{version} (date of the run unknown)",
    "model.unnamed": "unnamed",
    "model.fingerprint": "fingerprint {fingerprint}",
    "documents.facts": "{total} in all: {ok} classified, {error} failed, {unresolved} not "
                       "matched to a municipality",
    "documents.skipped": ", {skipped} skipped",
    "years.none": "none",
    "reference": "population 31 Dec {year} (SCB), {edition}",
    "caveat.errors": "<strong>Documents that could not be read: {n}.</strong> They count in no "
                     "profile; their municipalities may show as not processed.",
    "caveat.unresolved": "<strong>Documents that could not be matched to a municipality and "
                         "year: {n}.</strong> They count in no profile. Name the municipality "
                         "in the file name or give a <code>--manifest</code>.",
    "caveat.flagged": "<strong>Documents with text-extraction problems: {n}</strong> (pages "
                      "without text, garbled text). Their profiles may miss goals.",
    "caveat.see_documents": 'See <a href="#documents">Documents</a>.',
    "caveat.review_below": " below {threshold}",
    "caveat.model": "Profiles are <strong>predictions of a language model</strong>, not a "
                    "manual reading: each paragraph is classified as none, internal efficiency "
                    "or citizen-facing, and a municipality's profile follows from its "
                    "paragraphs. The confidence is the model's probability of that profile; "
                    "profiles with a confidence{review} are marked <strong>needs review"
                    "</strong> (hatched on the map). The deciding paragraphs are listed under "
                    '<a href="#evidence">Evidence</a>. Municipalities without a classified '
                    "document are <strong>not processed</strong>: they are shown in grey and "
                    "never counted as having no goals.",
    "summary.heading": "Summary {year}",
    "summary.none": "No municipality profile could be built: no document was both read and "
                    "matched to a municipality and year.",
    "summary.several_years": "The documents cover several years; this section shows the "
                             "latest, {year}. Earlier years ({earlier}) follow below; the "
                             "tables list every year.",
    "summary.earlier": "(processed: {processed})",
    "headline": "inhabitants live in <strong>municipalities with no digitalisation goals or "
                "only internal-efficiency goals</strong> ({municipalities}{review}). That is "
                "{share} of the inhabitants of the municipalities with a profile.{excluded}",
    "headline.review": "; needs review: {n}",
    "headline.missing": " Not processed and not included: {municipalities} ({inhabitants} "
                        "inhabitants).",
    "headline.unreadable": " Text that could not be read, not included: {municipalities} "
                           "({inhabitants} inhabitants).",
    "denominator": "Shares are of the inhabitants of the municipalities with a profile: "
                   "{inhabitants} inhabitants in {municipalities}. Municipalities not processed "
                   "or whose text could not be read are not part of them.",
    "table.heading": "Municipalities and inhabitants by profile, {year}",
    "table.profile": "Profile",
    "table.municipalities": "Munici&shy;palities",
    "table.inhabitants": "Inhabitants",
    "table.share": "Share",
    "table.needs_review": "Needs review",
    "table.with_profile": "With a profile",
    "table.unreadable": "Unreadable text (not counted)",
    "table.all": "All municipalities",
    "missing.all_processed": "Every municipality was processed.",
    "missing.summary": "Not processed in {year}: {municipalities}",
    "chart.profiles.heading": "Profiles by SKR kommungrupp, {year}",
    "chart.profiles.note": "The bars show how each group's processed municipalities divide "
                           "into the profiles; on the right, how many of the group's "
                           "municipalities have a profile. In all, {profiled} of {all} "
                           "municipalities have a profile.",
    "chart.profiles.label": "Profiles by SKR kommungrupp {year}",
    "chart.of": "{part} of {whole}",
    "chart.segment": "{group}: {profile}, {part} of {whole}",
    "chart.rate.heading": "Digital-goal paragraphs per 10,000\u00a0words, {year}",
    "chart.rate.note": "Internal-efficiency and citizen-facing paragraphs per 10,000\u00a0words of "
                       "the groups' documents together.",
    "chart.rate.label": "Digital-goal paragraphs per 10,000\u00a0words by SKR kommungrupp {year}",
    "chart.none_processed": "no municipality processed",
    "map.label": "Map of Sweden: municipality profiles {year}",
    "map.inset": "{name} region, enlarged",
    "map.not_processed": "{kommun} ({code}): not processed",
    "map.profile": "{kommun} ({code}): {profile}, confidence {confidence}{review}",
    "map.review": ", needs review",
    "map.caption": "Point at a municipality for its profile; click it for the evidence.",
    "municipalities.heading": "Municipalities",
    "municipalities.note": "{rows}, one per municipality and year. Internal / Citizen: "
                           "paragraphs classified as internal efficiency / citizen-facing; "
                           "citizen share: their share of the digital-goal paragraphs. Click a "
                           "column to sort.",
    "municipalities.yes": "yes",
    "col.kommun": "Kommun",
    "col.code": "Code",
    "col.year": "Year",
    "col.profile": "Profile",
    "col.confidence": "Confidence",
    "col.needs_review": "Needs review",
    "col.paragraphs": "Paragraphs",
    "col.internal": "Internal",
    "col.citizen": "Citizen",
    "col.words": "Words",
    "col.rate": "Digital per 10k words",
    "col.citizen_share": "Citizen share",
    "col.population": "Population",
    "col.kommungrupp": "Kommungrupp",
    "evidence.heading": "Evidence",
    "evidence.note": "Per municipality and year: the paragraphs behind the profile, with the "
                     "model's probability of their label.",
    "evidence.confidence": "confidence {confidence}",
    "evidence.review": "needs review",
    "evidence.meta": "Documents: {files}. Profile probabilities: {probabilities}.",
    "evidence.none_close": "No paragraph was classified as a digital goal. Listed: the "
                           "paragraphs that came closest.",
    "evidence.none": "No paragraph was classified as a digital goal, and none came close.",
    "evidence.deciding": "The paragraphs that decided the profile, most probable first.",
    "evidence.page": "page {page}",
    "evidence.under": ", under “{heading}”",
    "evidence.shortened": "(shortened; full text in paragraphs.csv)",
    "documents.heading": "Documents",
    "status.ok": "ok",
    "status.error": "failed",
    "status.skipped": "skipped",
    "status.unresolved": "not matched",
    "doc.file": "File",
    "doc.status": "Status",
    "doc.message": "Error / note",
    "doc.municipality": "Municipality",
    "doc.year": "Year",
    "doc.pages": "Pages",
    "doc.paragraphs": "Paragraphs",
    "doc.extraction": "Text extraction",
    "bd.heading": "Breakdowns by group",
    "bd.none": "No profile to break down.",
    "bd.intro": "Per group: how many of the group's municipalities have a readable plan, and "
                "the municipalities by profile. The first figure counts the municipalities "
                "(or inhabitants) whose most probable profile it is. Below it is the "
                "<em>expected</em> number, counting each municipality with the model's "
                "probability of each profile ({model}), and in brackets the interval that "
                "{level} of the draws of every municipality's profile fall in. The interval "
                "covers the model's doubt about each plan on its own, not an error all plans "
                "share, and never municipalities that were not processed; an expectation made "
                "of many small chances can fall outside it. Paragraphs per 10,000\u00a0words "
                "are the mean over the group's plans (each plan weighs the same, unlike the "
                "chart above), with a bootstrap interval over municipalities where the group "
                "has at least {min} plans.",
    "bd.earlier": "(with a readable plan: {counted})",
    "bd.study.complete": "In {year} all {all} municipalities have a readable plan. In the "
                         "terms of the study (University of Gothenburg, 2021):",
    "bd.study.incomplete": "In {year} only {counted} of {all} municipalities have a readable "
                           "plan ({share} of inhabitants). The study's national figures need "
                           "all {all}, so none are shown; the tables below cover the "
                           "municipalities with a readable plan only.",
    "bd.no_or_internal": "No goals or internal efficiency only",
    "bd.ratio": "<strong>Big cities against rural municipalities:</strong> {ratio}. "
                "Digital-goal paragraphs per 10,000\u00a0words, mean per plan: {big_mean} in "
                "the big cities and the municipalities near them ({big_plans}; {big_groups}), "
                "{rural_mean} in the rural municipalities ({rural_plans}; {rural_groups}).",
    "bd.ratio.too_few": "(too few plans for an interval: it needs at least {min} on each "
                        "side)",
    "bd.ratio.no_plans": "cannot be computed, no plan on one side",
    "bd.ratio.no_rural_goals": "cannot be computed, no digital-goal paragraph in the rural "
                               "municipalities' plans",
    "bd.expected": "exp. {value} <span class=nw>({interval})</span>",
    "bd.interval": "<span class=nw>({level}: {interval})</span>",
    "bd.unbounded": "unbounded",
    "bd.too_few": "({plans}, no interval)",
    "bd.no_plan": "no readable plan",
    "bd.coverage": "{counted} of {all}",
    "bd.coverage.inhabitants": "{share} of inhabitants",
    "bd.national": "All of Sweden",
    "bd.col.group": "Group",
    "bd.col.counted": "Municipalities with a readable plan",
    "bd.col.headline": "Inhabitants with no goals or internal efficiency only",
    "bd.col.density": "Digital-goal paragraphs per 10,000\u00a0words",
    "bd.dim.huvudgrupp": "SKR main groups",
    "bd.dim.kommungrupp": "SKR kommungrupper",
    "bd.dim.bloc": "Governing bloc",
    "bd.dim.tax_quartile": "Tax rate",
    "bd.source.skr": "SKR's kommungruppsindelning {edition}; the groups' names are SKR's.",
    "bd.source.bloc": "The parties governing after the {election} election (term {term}), in "
                      "blocs by SKR's 2022 definition (MP counts with the left).",
    "bd.source.bloc_unknown": "Who governs is not known for plan years before 2015: every "
                              "municipality counts as “{unknown}”.",
    "bd.source.tax": "Municipal plus regional tax rate {year} (Skatteverket) for every plan "
                     "year, in quarters of all {all} municipalities cut at {q1}, {q2} and "
                     "{q3}%.",
    "bd.bloc.borgerligt": "Centre-right (M, C, L, KD)",
    "bd.bloc.borgerligt_SD": "Centre-right with SD",
    "bd.bloc.blockoverskridande": "Across the blocs",
    "bd.bloc.vanster": "Left (S, V, MP)",
    "bd.bloc.SD_ovrigt": "SD and others",
    "bd.bloc.lokalt_ovrigt": "Local parties and others",
    "bd.bloc.okant": "Not known",
    "bd.tax_quartile.Q1": "Q1, lowest",
    "bd.tax_quartile.Q2": "Q2, second lowest",
    "bd.tax_quartile.Q3": "Q3, second highest",
    "bd.tax_quartile.Q4": "Q4, highest",
    "profile.no_digital_goals": "No digitalisation goals",
    "profile.internal_only": "Internal efficiency only",
    "profile.citizen_facing": "Citizen-facing goals",
    "profile.missing": "Not processed",
    "profile.needs_review": "needs review",
    "label.none": "none",
    "label.internal_efficiency": "internal efficiency",
    "label.citizen_facing": "citizen-facing",
    "municipality.one": "municipality",
    "municipality.other": "municipalities",
    "row.one": "row",
    "row.other": "rows",
    "plan.one": "plan",
    "plan.other": "plans",
}

TEXTS = {"sv": SV, "en": EN}
LANGUAGES = tuple(TEXTS)
