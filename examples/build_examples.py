"""Build the made-up example MRPs in this folder: `python examples/build_examples.py`.

Every document is invented for testing and demonstration and says so on its
first page. Dates and metadata are fixed, so a rebuild gives the same bytes
(with the same fpdf2 and python-docx versions).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The PDF and DOCX builders are shared with the tests and benchmarks.
sys.path.insert(0, str(HERE.parent / "tests"))

from docfactory import MADE_UP, MrpPdf, mrp_docx  # noqa: E402

DISCLAIMER = MADE_UP + "."


def hudiksvall(folder: Path) -> Path:
    """Two-column PDF with running header and footer; digital goals about the organisation only."""
    doc = MrpPdf(header="Hudiksvalls kommun · Mål och resursplan 2025–2027",
                 title="Mål och resursplan 2025–2027, Hudiksvalls kommun")
    doc.page().title("Mål och resursplan 2025 med plan för 2026–2027",
                     "Hudiksvalls kommun · Antagen av kommunfullmäktige 2024-11-25")
    doc.paragraph(DISCLAIMER)
    doc.heading("1 Inledning")
    doc.paragraph(
        "Mål och resursplanen är kommunfullmäktiges viktigaste styrdokument. Den anger "
        "inriktningen för kommunens verksamheter och fördelar resurserna mellan nämnderna "
        "för budgetåret 2025 och planåren 2026–2027.")
    doc.paragraph(
        "Befolkningen i Hudiksvall har varit i stort sett oförändrad de senaste åren, men "
        "andelen invånare över 80 år ökar. Det ställer krav på omsorgen samtidigt som antalet "
        "personer i arbetsför ålder minskar.")
    doc.heading("2 Omvärld och förutsättningar")
    doc.two_columns([
        "Den svenska ekonomin återhämtar sig långsamt efter flera år med hög inflation. "
        "Skatteunderlaget växer svagare än kostnaderna, och kommunsektorn som helhet står inför "
        "ett ansträngt läge under planperioden.",
        "Digitaliseringen och den snabba utvecklingen inom artificiell intelligens förändrar "
        "arbetslivet och samhället i stort. Många arbetsgivare ser nya möjligheter, samtidigt "
        "som kraven på säkerhet och kompetens ökar.",
        "Klimatförändringarna innebär fler perioder med extremt väder. Kommunen behöver planera "
        "för skyfall och höga flöden i Hudiksvallsfjärden.",
    ], [
        "Kompetensförsörjningen är en av de största utmaningarna. Pensionsavgångarna är många "
        "inom vård, skola och teknik, och konkurrensen om arbetskraften är hård i hela regionen.",
        "Räntekostnaderna för kommunens lån har ökat. Investeringstakten behöver därför hållas "
        "på en nivå som kan finansieras med egna medel på sikt.",
        "Näringslivet i kommunen är starkt inom skog, trä och tillverkning, och arbetslösheten "
        "ligger under rikssnittet.",
    ])
    doc.page().heading("3 Kommunfullmäktiges mål")
    doc.two_columns([
        "Hudiksvall ska vara en attraktiv kommun att bo, leva och verka i. Bostadsbyggandet ska "
        "öka och fler lägenheter ska byggas i tätorterna utanför centralorten.",
        "Kommunen ska vara en effektiv organisation. Kommunstyrelsen får i uppdrag att under 2025 "
        "införa automatiserad fakturahantering med hjälp av robotar för att frigöra tid i "
        "ekonomiadministrationen.",
        "Ett gemensamt e-arkiv ska tas i drift under planperioden och pappersarkiven i "
        "förvaltningarna avvecklas stegvis.",
    ], [
        "Medarbetarnas digitala kompetens ska stärkas. Alla chefer ska ha genomgått utbildning i "
        "informationssäkerhet och nya digitala arbetssätt före utgången av 2025.",
        "Sjukfrånvaron ska minska till högst 6,5 procent genom ett förebyggande "
        "arbetsmiljöarbete och ett nära ledarskap.",
        "Barn och elever ska nå kunskapsmålen. Andelen elever med godkända betyg i alla ämnen "
        "ska öka varje år.",
    ])
    doc.bullets("Under planperioden ska förvaltningarna:", [
        "ersätta de gamla verksamhetssystemen inom ekonomi och personal med ett gemensamt system,",
        "minska lokalkostnaderna med fem procent,",
        "följa upp måluppfyllelsen i varje tertialrapport.",
    ])
    doc.table([
        ["Mål", "Indikator", "Målvärde 2025"],
        ["Effektivare administration", "Antal automatiserade processer", "8"],
        ["Stärkt informationssäkerhet", "Andel chefer som utbildats", "90 %"],
        ["Fler bostäder", "Antal färdigställda lägenheter", "120"],
    ], [170, 230, 80])
    doc.page().heading("4 Ekonomi")
    doc.paragraph(
        "Resultatet för 2025 budgeteras till 38 mnkr, vilket motsvarar 1,4 procent av skatter "
        "och generella statsbidrag. Målet för god ekonomisk hushållning är ett resultat på minst "
        "två procent över en rullande fyraårsperiod.")
    doc.table([
        ["Mnkr", "Budget 2025", "Plan 2026", "Plan 2027"],
        ["Skatteintäkter och bidrag", "2 712,4", "2 801,9", "2 894,0"],
        ["Verksamhetens nettokostnad", "-2 641,0", "-2 725,3", "-2 812,6"],
        ["IT-kostnader", "48,2", "49,9", "51,0"],
        ["Årets resultat", "38,0", "44,1", "47,5"],
    ], [170, 100, 100, 100])
    doc.paragraph(
        "Investeringarna under planperioden uppgår till 610 mnkr, varav merparten avser nya "
        "förskolor, en ny sporthall och upprustning av vatten- och avloppsnätet.")
    return doc.save(folder / "mal-och-resursplan-2025-hudiksvall.pdf")


def kiruna(folder: Path) -> Path:
    """Single-column PDF: broadband for households (citizens) and an e-archive (internal)."""
    doc = MrpPdf(header="Kiruna kommun – Strategisk plan och budget 2025–2027",
                 title="Strategisk plan och budget 2025–2027, Kiruna kommun")
    doc.page().title("Strategisk plan och budget 2025–2027", "Kiruna kommun")
    doc.paragraph(DISCLAIMER)
    doc.heading("1 Samhällsomvandlingen")
    doc.paragraph(
        "Stadsflytten präglar kommunens planering under hela perioden. Nya bostäder, skolor och "
        "lokaler ska stå klara i takt med att gruvan bryter sig in under den gamla stadskärnan.")
    doc.heading("2 Mål för planperioden")
    doc.heading("2.1 Hållbar tillväxt", level=2)
    doc.paragraph(
        "Alla hushåll och företag i byarna ska kunna ansluta sig till snabbt bredband senast 2027. "
        "Kommunen avsätter 6 mnkr under perioden för utbyggnaden i Vittangi och Karesuando.")
    doc.heading("2.2 En effektiv organisation", level=2)
    doc.paragraph(
        "Ett e-arkiv införs 2025 så att handlingar kan bevaras digitalt och pappersarkiven i "
        "stadshuset kan avvecklas inför flytten.")
    doc.table([
        ["Mål", "Indikator", "Målvärde"],
        ["Bredband i hela kommunen", "Andel hushåll med 1 Gbit/s", "98 %"],
        ["Trygg äldreomsorg", "Andel nöjda brukare", "90 %"],
    ], [170, 230, 80])
    doc.page().heading("3 Driftbudget")
    doc.paragraph(
        "Driftbudgeten bygger på oförändrad skattesats. Kostnaderna för stadsflytten ersätts "
        "enligt avtal med gruvbolaget och redovisas separat.")
    doc.table([
        ["Tkr", "Budget 2025", "Plan 2026", "Plan 2027"],
        ["Kommunstyrelsen", "212 400", "215 100", "219 800"],
        ["Barn- och utbildningsnämnden", "498 700", "505 200", "511 900"],
    ], [190, 95, 95, 95])
    return doc.save(folder / "strategisk-plan-och-budget-2025-2027-kiruna.pdf")


def falun(folder: Path) -> Path:
    """DOCX with heading styles, lists and tables; digital goals that serve residents."""
    return mrp_docx(folder / "Falu kommun MRP 2024.docx", [
        ("h1", "Mål och resursplan 2024–2026 för Falu kommun"),
        ("p", DISCLAIMER),
        ("p", "Antagen av kommunfullmäktige den 16 november 2023."),
        ("h2", "Inledning"),
        ("p", "Falu kommun ska vara en plats där människor vill bo, verka och besöka. Planen "
              "beskriver fullmäktiges mål och de ekonomiska ramarna för nämnderna."),
        ("p", "Det ekonomiska läget är ansträngt. Kostnaderna för försörjningsstöd och "
              "placeringar ökar, och nämnderna behöver prioritera sina verksamheter."),
        ("h2", "Fullmäktiges mål"),
        ("h3", "Omsorgsnämnden"),
        ("p", "Välfärdsteknik ska ge brukarna ökad trygghet och självständighet. Digital "
              "nattillsyn ska erbjudas alla brukare i hemtjänsten som vill ha det."),
        ("p", "Nämnden ska också minska sjukfrånvaron och förbättra kontinuiteten i hemtjänsten."),
        ("h3", "Barn- och utbildningsnämnden"),
        ("p", "Nämnden ska under perioden:"),
        ("bullets", ["ge alla elever i grundskolan en egen digital enhet,",
                     "stärka elevernas digitala kompetens och källkritik,",
                     "öka andelen behöriga lärare."]),
        ("h3", "Stadsbyggnadsnämnden"),
        ("p", "Fler e-tjänster ska göra det enklare för invånare och företag att söka bygglov och "
              "följa sitt ärende dygnet runt. 3 mnkr tillförs 2024 för införandet."),
        ("bold", "Mål och indikatorer"),
        ("header_table", [
            ["Mål", "Indikator", "Målvärde 2024"],
            ["Fler digitala tjänster för invånarna", "Antal e-tjänster", "60"],
            ["Trygg hemtjänst med välfärdsteknik", "Andel brukare med digital nattillsyn", "40 %"],
            ["Fler i arbete", "Andel invånare med försörjningsstöd", "3,5 %"],
        ]),
        ("page", None),
        ("h2", "Ekonomiska ramar"),
        ("p", "Kommunens resultat budgeteras till 52 mnkr för 2024. Investeringsutgifterna "
              "uppgår till 480 mnkr och avser främst skolor och förskolor."),
        ("table", [
            ["Mnkr", "Budget 2024", "Plan 2025", "Plan 2026"],
            ["Omsorgsnämnden", "1 012,5", "1 040,0", "1 068,3"],
            ["Barn- och utbildningsnämnden", "1 386,2", "1 401,9", "1 420,7"],
            ["Stadsbyggnadsnämnden", "96,4", "98,0", "99,1"],
        ]),
    ], title="Mål och resursplan 2024–2026, Falu kommun")


GOTEBORG_HTML = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<title>Budget 2025 – Göteborgs Stad</title>
<style>body {{ font-family: sans-serif; }}</style>
<script>window.dataLayer = [];</script>
</head>
<body>
<header><a href="/">Göteborgs Stad</a> <a href="/sok">Sök</a></header>
<nav><ul><li><a href="/">Startsida</a></li><li><a href="/politik">Politik</a></li></ul></nav>
<main>
<h1>Budget 2025 för Göteborgs Stad</h1>
<p>{disclaimer}</p>
<p>Kommunfullmäktige beslutade om budgeten den 21 november 2024.</p>
<h2>Inledning</h2>
<p>Göteborg växer och ska vara en stad för alla. Budgeten anger inriktningen för stadens
nämnder och bolag och fördelar kommunbidraget för 2025.</p>
<p>Staden står inför stora investeringar i skolor, äldreboenden och infrastruktur samtidigt som
kostnaderna ökar snabbare än intäkterna.</p>
<h2>Prioriterade mål</h2>
<h3>En stad där alla kan delta</h3>
<p>Stadens nämnder ska under 2025:</p>
<ul>
<li>erbjuda stöd i digital delaktighet på alla bibliotek och träffpunkter för äldre,</li>
<li>göra stadens vanligaste e-tjänster tillgängliga dygnet runt och på fler språk,</li>
<li>öka andelen elever som fullföljer gymnasiet.</li>
</ul>
<p>Staden ska publicera fler öppna data så att invånare, forskare och företag kan ta del av
information om stadens verksamheter.</p>
<h3>En trygg och hållbar stad</h3>
<p>Tryggheten i stadsdelarna ska öka. Fler ska känna sig trygga när de går ut ensamma på
kvällen, och arbetet mot våldsbejakande extremism fortsätter.</p>
<table>
<thead><tr><th>Mål</th><th>Indikator</th><th>Målvärde 2025</th></tr></thead>
<tbody>
<tr><td>Fler invånare använder e-tjänster</td><td>Andel ärenden som startas digitalt</td>
<td>70 %</td></tr>
<tr><td>Ökad trygghet</td><td>Andel som känner sig trygga</td><td>75 %</td></tr>
</tbody>
</table>
<h2>Ekonomi</h2>
<table>
<tr><th>Mnkr</th><th>Budget 2025</th><th>Plan 2026</th></tr>
<tr><td>Kommunbidrag till nämnderna</td><td>33 410</td><td>34 520</td></tr>
<tr><td>Investeringar</td><td>9 800</td><td>10 250</td></tr>
</table>
</main>
<footer><p>Göteborgs Stad, 404 82 Göteborg. Telefon 031-365 00 00.</p></footer>
</body>
</html>
"""


def goteborg(folder: Path) -> Path:
    """HTML page with navigation and page chrome around the plan; citizen-facing goals."""
    path = folder / "goteborgs-stad-budget-2025.html"
    path.write_text(GOTEBORG_HTML.format(disclaimer=DISCLAIMER), encoding="utf-8", newline="\n")
    return path


LJUSNARSBERG_TXT = """Mål och resursplan 2025
Ljusnarsbergs kommun

{disclaimer}

1 Inledning

Ljusnarsberg är en liten kommun med stora möjligheter. Planen beskriver
kommunfullmäktiges mål och hur resurserna fördelas under 2025.

Befolkningen har minskat under flera år men har nu stabiliserats. Andelen
äldre ökar, vilket ställer krav på äldreomsorgen och hemtjänsten.

2 Omvärld

Digitaliseringen och den tekniska utvecklingen förändrar samhället i snabb
takt. Allt fler tjänster i samhället erbjuds digitalt och förväntningarna
på offentlig sektor förändras.

Konjunkturen är svag och arbetslösheten i regionen har ökat. Kostnaderna
för energi och livsmedel är fortsatt höga.
\f3 Kommunfullmäktiges mål

3.1 Trygg vård och omsorg

Äldre ska kunna bo kvar hemma så länge de vill. Hemtjänsten ska ha hög
kontinuitet och brukarna ska mötas av så få olika medarbetare som möjligt.

Ansökan om färdtjänst görs via kommunens webbplats eller hos kundtjänst.

3.2 Skola och förskola

Alla elever ska lämna grundskolan med godkända betyg. Skolan ska arbeta
med tidiga insatser och ett nära samarbete med vårdnadshavarna.

Kommunen ska:
- rusta upp Kopparbergs skola,
- bygga en ny förskola i Ställdalen,
- minska sjukfrånvaron bland medarbetarna.

3.3 Mål och indikatorer

Mål\tIndikator\tMålvärde
Fler elever med godkända betyg\tAndel elever i åk 9\t85 %
Hög kontinuitet i hemtjänsten\tAntal personal per brukare och månad\t12
\f4 Ekonomi

Resultatet för 2025 budgeteras till 4,2 mnkr. Skatteintäkterna ökar
svagt och nämnderna får ett begränsat utrymme för nya satsningar.

Mnkr\tBudget 2025\tPlan 2026\tPlan 2027
Skatteintäkter och bidrag\t412,6\t421,0\t429,8
Nettokostnader\t-408,4\t-416,2\t-424,9
IT-kostnader\t6,1\t6,3\t6,4
"""


def ljusnarsberg(folder: Path) -> Path:
    """Windows-1252 TXT with form-feed pages; no digitalisation goals at all."""
    path = folder / "MRP 2025 Ljusnarsberg.txt"
    text = LJUSNARSBERG_TXT.format(disclaimer=DISCLAIMER).replace("\n", "\r\n")
    path.write_bytes(text.encode("cp1252"))
    return path


def build(folder: Path = HERE) -> list[Path]:
    return [make(folder) for make in (hudiksvall, kiruna, falun, goteborg, ljusnarsberg)]


if __name__ == "__main__":
    for built in build():
        print(built.name)
