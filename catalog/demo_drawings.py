"""The demo catalog's product pictures: a drawn silhouette of the product (a dress, a shirt, a
towel, a vase...) in the variant's colour, with the product's name underneath, as an SVG.

SVG because the browser draws the text with the shopper's own fonts, so Turkish letters
(ç ğ ı İ ö ş ü) are always right and nothing is cut off, and because it is a few kilobytes and
costs no image library. The files are made here, by us: no SVG a user uploads is ever served
(the admin's ImageField only accepts what Pillow can open, and Pillow does not open SVG)."""

from __future__ import annotations

from xml.sax.saxutils import escape

SIZE = 600
FONTS = "'Noto Sans', 'DejaVu Sans', 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

# Each drawing is SVG markup in a 600 x 600 box, the product standing in y 60..470. It is
# filled with {fill}; {line} draws seams and details, {shade} a darker and {light} a lighter
# tone of the colour, {sole} a neutral dark (soles, handles).
DRAWINGS: dict[str, str] = {
    "dress": """
<path d="M262,80 L281,80 Q300,128 319,80 L338,80 Q348,118 352,150 Q356,192 338,232 L432,466
 Q300,494 168,466 L262,232 Q244,192 248,150 Q252,118 262,80 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M262,232 Q300,244 338,232" fill="none" stroke="{line}" stroke-width="3"/>
<path d="M286,240 L262,470 M314,240 L338,472 M300,242 L300,478" fill="none" stroke="{shade}"
 stroke-width="2" opacity=".45"/>
<path d="M338,232 L432,466 Q410,470 392,472 Z" fill="{shade}" opacity=".25"/>""",
    "shirt": """
<path d="M258,94 L285,86 Q300,98 315,86 L342,94 L392,114 Q410,122 416,142 L450,380 L406,392
 L384,212 L386,470 Q300,482 214,470 L216,212 L194,392 L150,380 L184,142 Q190,122 208,114 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M285,86 L272,112 L300,128 L328,112 L315,86" fill="{light}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M300,128 L300,472 M154,362 L196,372 M446,362 L404,372 M216,212 L208,150
 M384,212 L392,150" fill="none" stroke="{line}" stroke-width="2.5"/>
<g fill="{line}"><circle cx="310" cy="170" r="4"/><circle cx="310" cy="230" r="4"/>
<circle cx="310" cy="290" r="4"/><circle cx="310" cy="350" r="4"/><circle cx="310" cy="410" r="4"/>
</g>
<path d="M330,170 L370,170 L370,212 Q350,220 330,212 Z" fill="none" stroke="{line}"
 stroke-width="2.5"/>""",
    "blouse": """
<path d="M262,96 Q300,126 338,96 L384,112 Q420,124 430,160 L454,330 Q440,350 412,344 L396,214
 L394,440 Q300,456 206,440 L204,214 L188,344 Q160,350 146,330 L170,160 Q180,124 216,112 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M256,100 Q266,112 262,124 Q276,126 280,138 Q292,134 300,144 Q308,134 320,138
 Q324,126 338,124 Q334,112 344,100" fill="none" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M148,328 Q154,350 166,340 Q174,356 188,344 Q200,358 210,342 M452,328 Q446,350 434,340
 Q426,356 412,344 Q400,358 390,342" fill="none" stroke="{line}" stroke-width="3"/>
<path d="M300,144 L300,300 M246,214 Q300,226 354,214" fill="none" stroke="{shade}"
 stroke-width="2.5" opacity=".6"/>
<path d="M230,240 Q222,330 232,420" fill="none" stroke="#ffffff" stroke-width="8"
 stroke-linecap="round" opacity=".25"/>""",
    "knit_dress": """
<path d="M268,70 L332,70 L334,96 L390,114 Q414,124 420,150 L446,360 L408,368 L384,196
 L400,450 Q300,466 200,450 L216,196 L192,368 L154,360 L180,150 Q186,124 210,114 L266,96 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M266,96 Q300,108 334,96 M268,80 Q300,90 332,80 M156,346 L192,352 M444,346 L408,352
 M204,432 Q300,446 396,432" fill="none" stroke="{line}" stroke-width="3"/>
<path d="M240,130 L236,440 M270,124 L266,448 M300,122 L300,452 M330,124 L334,448 M360,130
 L364,440" fill="none" stroke="{shade}" stroke-width="3" stroke-dasharray="4 6" opacity=".7"/>""",
    "tshirt": """
<path d="M262,92 Q300,122 338,92 L394,110 L452,172 L412,214 L386,192 L388,470 Q300,482 212,470
 L214,192 L188,214 L148,172 L206,110 Z" fill="{fill}" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M262,92 Q300,122 338,92 Q300,136 262,92 Z" fill="{shade}" stroke="{line}"
 stroke-width="2.5"/>
<path d="M166,192 L206,226 M434,192 L394,226 M214,192 L220,140 M386,192 L380,140" fill="none"
 stroke="{line}" stroke-width="2.5" opacity=".7"/>""",
    "trousers": """
<path d="M220,80 L380,80 L404,470 L322,470 L300,206 L278,470 L196,470 Z" fill="{fill}"
 stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M222,108 L378,108 M300,108 L300,196 M230,112 Q262,140 262,178 M370,112
 Q338,140 338,178 M250,470 L258,300 M350,470 L342,300" fill="none" stroke="{line}"
 stroke-width="2.5"/>
<g fill="{shade}"><rect x="236" y="84" width="8" height="24"/><rect x="296" y="84" width="8"
 height="24"/><rect x="356" y="84" width="8" height="24"/></g>""",
    "shoe": """
<path d="M112,398 Q98,350 160,336 Q232,320 302,298 Q330,290 356,300 Q402,308 452,288
 Q478,280 482,302 L488,398 Z" fill="{fill}" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M104,398 L494,398 L494,422 Q300,432 108,422 Z" fill="{sole}"/>
<path d="M302,298 Q334,318 362,306 M160,372 Q300,384 480,372 M232,324 Q262,350 300,330"
 fill="none" stroke="{line}" stroke-width="2.5"/>
<path d="M400,306 Q430,300 452,288" fill="none" stroke="{light}" stroke-width="3"/>""",
    "sneaker": """
<path d="M112,388 Q100,342 162,330 Q214,318 262,288 L300,262 Q330,250 356,262 Q404,280 448,264
 Q478,256 482,280 L486,388 Z" fill="{fill}" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M100,388 L496,388 L496,418 Q490,432 470,432 L130,432 Q100,430 100,410 Z"
 fill="#f4f2ee" stroke="#9a968f" stroke-width="3"/>
<path d="M100,406 L496,406" stroke="#c9c4bb" stroke-width="3"/>
<path d="M246,300 L272,320 M262,288 L290,308 M280,276 L308,296 M298,266 L324,284"
 stroke="{line}" stroke-width="4" stroke-linecap="round"/>
<path d="M170,350 Q300,300 420,330" fill="none" stroke="{light}" stroke-width="6" opacity=".8"/>""",
    "sandal": """
<path d="M104,412 L470,396 L476,420 L112,430 Z" fill="{sole}"/>
<path d="M420,400 L468,398 L462,470 L438,470 Z" fill="{sole}"/>
<path d="M140,410 Q170,350 230,344 Q262,350 270,404 M300,402 Q320,330 370,318 Q402,318 410,398
 M360,320 Q410,290 440,296 L452,398" fill="none" stroke="{fill}" stroke-width="22"
 stroke-linecap="round"/>
<path d="M140,410 Q170,350 230,344 Q262,350 270,404 M300,402 Q320,330 370,318 Q402,318 410,398"
 fill="none" stroke="{line}" stroke-width="2" opacity=".6"/>""",
    "boot": """
<path d="M112,398 Q98,350 160,336 Q226,322 282,300 L292,140 L452,140 L458,300 Q482,330 486,398 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M104,398 L494,398 L494,428 Q300,436 108,428 Z" fill="{sole}"/>
<path d="M104,412 L494,412" stroke="#555" stroke-width="2" stroke-dasharray="10 8"/>
<path d="M292,140 L452,140 L452,166 L292,166 Z" fill="{shade}"/>
<path d="M300,190 L340,180 M296,226 L340,216 M292,262 L340,252 M286,298 L334,288"
 stroke="{light}" stroke-width="5" stroke-linecap="round"/>""",
    "bedding": """
<rect x="140" y="356" width="320" height="100" rx="16" fill="{fill}" stroke="{line}"
 stroke-width="3"/>
<path d="M140,406 L460,406" stroke="{shade}" stroke-width="3" opacity=".6"/>
<rect x="160" y="282" width="280" height="78" rx="14" fill="{light}" stroke="{line}"
 stroke-width="3"/>
<path d="M160,330 L440,330" stroke="{fill}" stroke-width="8" opacity=".8"/>
<path d="M196,170 Q300,150 404,170 Q422,226 404,282 Q300,296 196,282 Q178,226 196,170 Z"
 fill="{fill}" stroke="{line}" stroke-width="3"/>
<path d="M214,186 Q300,172 386,186 Q400,226 386,266 Q300,278 214,266 Q200,226 214,186 Z"
 fill="none" stroke="{light}" stroke-width="2.5" stroke-dasharray="7 6"/>""",
    "towel": """
<path d="M140,118 L460,118" stroke="#8c8377" stroke-width="10" stroke-linecap="round"/>
<circle cx="140" cy="118" r="12" fill="#8c8377"/><circle cx="460" cy="118" r="12" fill="#8c8377"/>
<path d="M194,112 L406,112 L410,460 Q300,470 190,460 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M194,112 L406,112 L408,252 Q300,262 192,252 Z" fill="{shade}" opacity=".35"/>
<path d="M192,252 Q300,262 408,252" fill="none" stroke="{line}" stroke-width="3"/>
<path d="M191,400 L409,400 M191,418 L409,418 M192,212 L408,212" stroke="{light}"
 stroke-width="8" opacity=".9"/>""",
    "peshtemal": """
<path d="M140,118 L460,118" stroke="#8c8377" stroke-width="10" stroke-linecap="round"/>
<circle cx="140" cy="118" r="12" fill="#8c8377"/><circle cx="460" cy="118" r="12" fill="#8c8377"/>
<path d="M200,112 L400,112 L400,440 L200,440 Z" fill="{fill}" stroke="{line}" stroke-width="3"/>
<path d="M230,112 L230,440 M260,112 L260,440 M340,112 L340,440 M370,112 L370,440"
 stroke="{light}" stroke-width="10" opacity=".85"/>
<path d="M206,440 L204,470 M218,440 L216,470 M230,440 L228,470 M242,440 L240,470 M254,440
 L252,470 M266,440 L264,470 M278,440 L276,470 M290,440 L288,470 M302,440 L300,470 M314,440
 L312,470 M326,440 L324,470 M338,440 L336,470 M350,440 L348,470 M362,440 L360,470 M374,440
 L372,470 M386,440 L384,470 M396,440 L394,470" stroke="{line}" stroke-width="3"/>""",
    "robe": """
<path d="M250,86 L350,86 L404,110 L452,300 L412,312 L388,196 L396,470 Q300,482 204,470 L212,196
 L188,312 L148,300 L196,110 Z" fill="{fill}" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<path d="M250,86 Q262,200 300,290 Q338,200 350,86 Q330,100 300,100 Q270,100 250,86 Z"
 fill="{light}" stroke="{line}" stroke-width="3"/>
<path d="M300,290 L372,470" stroke="{line}" stroke-width="3"/>
<path d="M208,270 L392,270 L392,292 L208,292 Z" fill="{shade}"/>
<path d="M290,292 L272,370 M306,292 L318,366" stroke="{shade}" stroke-width="12"
 stroke-linecap="round"/>""",
    "vase": """
<path d="M262,108 L338,108 L334,144 Q404,206 406,304 Q406,404 352,462 L248,462 Q194,404 194,304
 Q196,206 266,144 Z" fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<ellipse cx="300" cy="108" rx="38" ry="9" fill="{shade}" stroke="{line}" stroke-width="3"/>
<path d="M226,250 Q300,268 374,250 M214,330 Q300,350 386,330" fill="none" stroke="{line}"
 stroke-width="2.5" opacity=".55"/>
<path d="M236,220 Q218,300 246,400" fill="none" stroke="#ffffff" stroke-width="9"
 stroke-linecap="round" opacity=".35"/>
<path d="M300,104 Q290,60 250,34 M300,104 Q318,64 352,44" fill="none" stroke="#7a6a4f"
 stroke-width="4" stroke-linecap="round"/>
<g fill="#9bab7a"><ellipse cx="262" cy="48" rx="14" ry="6" transform="rotate(35 262 48)"/>
<ellipse cx="338" cy="56" rx="14" ry="6" transform="rotate(-30 338 56)"/>
<ellipse cx="284" cy="74" rx="12" ry="5" transform="rotate(60 284 74)"/></g>""",
    "cushion": """
<path d="M166,166 Q300,146 434,166 Q456,300 434,434 Q300,454 166,434 Q144,300 166,166 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M240,170 Q226,300 240,432 M300,162 Q290,300 300,440 M360,170 Q374,300 360,432"
 fill="none" stroke="{shade}" stroke-width="12" opacity=".45"/>
<path d="M240,170 Q226,300 240,432 M300,162 Q290,300 300,440 M360,170 Q374,300 360,432"
 fill="none" stroke="{light}" stroke-width="3" stroke-dasharray="6 10" opacity=".9"/>""",
    "candle": """
<rect x="218" y="230" width="164" height="232" rx="22" fill="{fill}" stroke="{line}"
 stroke-width="3"/>
<rect x="218" y="300" width="164" height="90" fill="{light}" opacity=".9"/>
<path d="M300,230 L300,196" stroke="#3a3a3a" stroke-width="4"/>
<path d="M300,124 Q326,170 312,192 Q300,206 288,192 Q274,170 300,124 Z" fill="#f2a541"/>
<path d="M300,156 Q310,180 304,190 Q300,196 296,190 Q290,180 300,156 Z" fill="#fde68a"/>
<path d="M234,246 L234,446" stroke="#ffffff" stroke-width="8" stroke-linecap="round"
 opacity=".35"/>""",
    "basket": """
<path d="M170,230 L430,230 L398,458 Q300,472 202,458 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M176,276 L424,276 M182,322 L418,322 M188,368 L412,368 M194,414 L406,414"
 stroke="{shade}" stroke-width="6" opacity=".6"/>
<path d="M220,232 L232,460 M260,232 L266,464 M300,232 L300,466 M340,232 L334,464
 M380,232 L368,460" stroke="{light}" stroke-width="3" opacity=".7"/>
<path d="M162,222 L438,222 L438,244 L162,244 Z" fill="{shade}" stroke="{line}" stroke-width="3"/>
<path d="M206,222 Q206,140 256,150 M394,222 Q394,140 344,150" fill="none" stroke="{shade}"
 stroke-width="12" stroke-linecap="round"/>""",
    "mirror": """
<path d="M300,60 L252,142 M300,60 L348,142" stroke="#8c8377" stroke-width="4"/>
<circle cx="300" cy="56" r="8" fill="#8c8377"/>
<circle cx="300" cy="300" r="168" fill="{fill}" stroke="{line}" stroke-width="3"/>
<circle cx="300" cy="300" r="146" fill="#dfe8ee" stroke="{line}" stroke-width="2"/>
<path d="M216,250 L290,176 M226,300 L330,196" stroke="#ffffff" stroke-width="12"
 stroke-linecap="round" opacity=".8"/>""",
    "pot": """
<path d="M152,262 Q300,186 448,262 Z" fill="{shade}" stroke="{line}" stroke-width="3"
 stroke-linejoin="round"/>
<ellipse cx="300" cy="206" rx="30" ry="14" fill="{sole}"/>
<path d="M164,262 L436,262 L428,418 Q424,452 392,454 L208,454 Q176,452 172,418 Z" fill="{fill}"
 stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M164,290 L120,290 Q108,310 120,330 L168,330 M436,290 L480,290 Q492,310 480,330 L432,330"
 fill="{fill}" stroke="{line}" stroke-width="3"/>
<path d="M196,300 Q190,380 216,430" fill="none" stroke="#ffffff" stroke-width="9"
 stroke-linecap="round" opacity=".3"/>""",
    "plates": """
<ellipse cx="300" cy="420" rx="200" ry="46" fill="{shade}" stroke="{line}" stroke-width="3"/>
<ellipse cx="300" cy="400" rx="200" ry="46" fill="{fill}" stroke="{line}" stroke-width="3"/>
<ellipse cx="300" cy="400" rx="120" ry="26" fill="none" stroke="{line}" stroke-width="2"
 opacity=".6"/>
<ellipse cx="300" cy="372" rx="176" ry="40" fill="{fill}" stroke="{line}" stroke-width="3"/>
<ellipse cx="300" cy="372" rx="104" ry="22" fill="none" stroke="{line}" stroke-width="2"
 opacity=".6"/>
<path d="M196,250 Q200,340 300,344 Q400,340 404,250 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<ellipse cx="300" cy="250" rx="104" ry="22" fill="{light}" stroke="{line}" stroke-width="3"/>
<path d="M206,270 Q300,300 394,270" fill="none" stroke="#4b6fa5" stroke-width="4"
 opacity=".7"/>""",
    "cups": """
<ellipse cx="210" cy="420" rx="96" ry="22" fill="{fill}" stroke="{line}" stroke-width="3"/>
<path d="M160,314 L260,314 L252,398 Q210,420 168,398 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M258,334 Q288,338 280,366 Q274,384 254,382" fill="none" stroke="{line}"
 stroke-width="6"/>
<path d="M166,340 Q210,356 256,340" fill="none" stroke="#c9a23f" stroke-width="5"/>
<ellipse cx="396" cy="420" rx="96" ry="22" fill="{fill}" stroke="{line}" stroke-width="3"/>
<path d="M346,314 L446,314 L438,398 Q396,420 354,398 Z" fill="{fill}" stroke="{line}"
 stroke-width="3" stroke-linejoin="round"/>
<path d="M444,334 Q474,338 466,366 Q460,384 440,382" fill="none" stroke="{line}"
 stroke-width="6"/>
<path d="M352,340 Q396,356 442,340" fill="none" stroke="#c9a23f" stroke-width="5"/>
<ellipse cx="210" cy="314" rx="50" ry="9" fill="#3b2417"/>
<ellipse cx="396" cy="314" rx="50" ry="9" fill="#3b2417"/>
<path d="M198,290 Q190,270 204,252 M402,290 Q394,266 410,246" fill="none" stroke="#b9b1a6"
 stroke-width="4" stroke-linecap="round" opacity=".7"/>""",
    "cezve": """
<path d="M236,250 L334,250 Q330,262 346,262 L362,440 Q300,462 222,440 L238,270 Q232,262 236,250 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M240,300 Q300,316 358,300" fill="none" stroke="{light}" stroke-width="4"/>
<path d="M338,276 L486,160" stroke="#c9a23f" stroke-width="14" stroke-linecap="round"/>
<path d="M256,300 Q246,370 252,420" fill="none" stroke="#ffffff" stroke-width="8"
 stroke-linecap="round" opacity=".35"/>""",
    "board": """
<path d="M196,120 Q300,96 404,120 Q428,290 404,440 Q300,462 196,440 Q172,290 196,120 Z"
 fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<rect x="270" y="30" width="60" height="104" rx="24" fill="{fill}" stroke="{line}"
 stroke-width="3"/>
<rect x="286" y="52" width="28" height="40" rx="14" fill="{background}"/>
<path d="M232,160 Q262,300 236,420 M300,150 Q330,290 296,440 M366,160 Q340,300 370,420"
 fill="none" stroke="{shade}" stroke-width="3" opacity=".6"/>""",
    "apron": """
<path d="M244,150 L356,150 L364,250 Q420,262 430,296 L410,470 Q300,484 190,470 L170,296
 Q180,262 236,250 Z" fill="{fill}" stroke="{line}" stroke-width="3" stroke-linejoin="round"/>
<path d="M244,150 Q236,70 300,60 Q364,70 356,150" fill="none" stroke="{shade}" stroke-width="8"/>
<path d="M176,280 Q130,300 112,360 M424,280 Q470,300 488,360" fill="none" stroke="{shade}"
 stroke-width="8" stroke-linecap="round"/>
<path d="M226,330 L374,330 L370,400 L230,400 Z" fill="none" stroke="{line}" stroke-width="3"/>
<path d="M300,330 L300,400" stroke="{line}" stroke-width="3"/>""",
}

# Each demo category's drawing; a product may have a closer one (a boot among the shoes).
CATEGORY_DRAWINGS = {
    "kadin-elbise": "dress",
    "kadin-bluz": "shirt",
    "kadin-pantolon": "trousers",
    "kadin-ayakkabi": "shoe",
    "erkek-gomlek": "shirt",
    "erkek-tisort": "tshirt",
    "erkek-pantolon": "trousers",
    "erkek-ayakkabi": "shoe",
    "ev-nevresim": "bedding",
    "ev-havlu": "towel",
    "ev-dekorasyon": "vase",
    "ev-mutfak": "pot",
}
# A word of the product's English name and its drawing, first match wins.
NAME_DRAWINGS = [
    ("jumper dress", "knit_dress"), ("blouse", "blouse"), ("T-shirt", "tshirt"), ("polo", "tshirt"), ("base layer", "tshirt"),
    ("sneaker", "sneaker"), ("sandal", "sandal"), ("boot", "boot"), ("espadrille", "shoe"),
    ("Peshtemal", "peshtemal"), ("Bathrobe", "robe"), ("cushion", "cushion"),
    ("candle", "candle"), ("basket", "basket"), ("mirror", "mirror"), ("dinner", "plates"),
    ("cup", "cups"), ("coffee pot", "cezve"), ("board", "board"), ("apron", "apron"),
]  # fmt: skip


def drawing_for(*, category: str, name_en: str) -> str:
    """The drawing of a demo product: by a word of its English name, else by its category."""
    lowered = name_en.lower()
    for word, drawing in NAME_DRAWINGS:
        if word.lower() in lowered:
            return drawing
    return CATEGORY_DRAWINGS[category]


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _mix(colour: str, towards: str, amount: float) -> str:
    a, b = _rgb(colour), _rgb(towards)
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def _luminance(colour: str) -> float:
    r, g, b = _rgb(colour)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def _caption_size(text: str, *, largest: int, width: int = 520) -> int:
    """A font size at which `text` fits `width` pixels in a wide sans-serif (DejaVu Sans is
    about 0.62 em a letter in bold), so a long name is made smaller, never cut off."""
    return max(14, min(largest, int(width / (0.62 * max(len(text), 1)))))


def product_svg(*, drawing: str, colour: str, name: str, colour_name: str) -> bytes:
    """The picture of a product in one colour (#rrggbb): the drawing, then its name and colour
    as real text (XML-escaped), as a standalone SVG document in UTF-8."""
    light = _luminance(colour) > 0.8
    background = "#e9e4dc" if light else "#f4f1ec"
    tones = {
        "fill": colour,
        "line": _mix(colour, "#000000", 0.35) if _luminance(colour) > 0.12 else "#4a4a4a",
        "shade": _mix(colour, "#000000", 0.22),
        "light": _mix(colour, "#ffffff", 0.35),
        "sole": "#2f2b28",
        "background": background,
    }
    shape = DRAWINGS[drawing].format(**tones)
    title = escape(f"{name} - {colour_name}")
    name_size = _caption_size(name, largest=34)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" lang="tr">\n'
        f"<title>{title}</title>\n"
        f'<rect width="{SIZE}" height="{SIZE}" fill="{background}"/>\n'
        f'<ellipse cx="300" cy="474" rx="190" ry="16" fill="#000000" opacity=".08"/>\n'
        f"<g>{shape}\n</g>\n"
        f'<text x="300" y="532" text-anchor="middle" font-family="{FONTS}" '
        f'font-size="{name_size}" font-weight="600" fill="#2b2b2b">{escape(name)}</text>\n'
        f'<text x="300" y="568" text-anchor="middle" font-family="{FONTS}" '
        f'font-size="22" fill="#6b6660">{escape(colour_name)}</text>\n'
        "</svg>\n"
    ).encode()
