# ruff: noqa: RUF001  (sizes are written with the multiplication sign, as a shop prints them)
"""The demo catalog's product descriptions, in Turkish and English: a few sentences on the
product, its material, how to care for it, its fit or dimensions, and a size guide (a size
table for clothing and shoes, the set's contents for bed linen).

They are plain text in the format catalog.descriptions reads (paragraphs, "Label: value"
lines, "a | b | c" tables), so the storefront renders them as a table without storing HTML, and
the feeds and marketplaces get readable text."""

from __future__ import annotations

# care: key -> (Turkish, English)
CARE = {
    "wash30": ("30 °C'de benzer renklerle, ters çevirerek yıkayın. Kurutma makinesi kullanmayın; düşük ısıda ütüleyin.",
               "Wash inside out at 30 °C with similar colours. Do not tumble dry; iron on low."),
    "wash40": ("40 °C'de yıkanabilir. Düşük ısıda kurutma makinesine atılabilir; orta ısıda ütüleyin.",
               "Machine wash at 40 °C. Tumble dry on low; iron on medium."),
    "linen": ("30 °C'de hassas programda yıkayın. Keten doğal olarak kırışır; hafif nemliyken ütülemek en kolayıdır.",
              "Wash at 30 °C on a gentle cycle. Linen creases naturally; it irons best while slightly damp."),
    "delicate": ("Elde ya da 30 °C hassas programda yıkayın, sıkmayın. Askıda kurutun; tersinden, düşük ısıda ütüleyin.",
                 "Hand wash or 30 °C delicate cycle, do not wring. Dry on a hanger; iron inside out on low."),
    "knit": ("Yün programında 30 °C'de yıkayın. Düz bir yüzeyde serip kurutun; asmayın, şeklini korusun.",
             "Wash at 30 °C on the wool cycle. Dry flat, not on a hanger, so it keeps its shape."),
    "denim": ("İlk yıkamalarda ayrı, ters çevirerek 30 °C'de yıkayın. Çamaşır suyu kullanmayın.",
              "Wash separately and inside out at 30 °C for the first few washes. Do not bleach."),
    "leather": ("Nemli, yumuşak bir bezle silin. Ara ara renksiz deri bakım kremi sürün; ısı kaynağından uzakta kurutun.",
                "Wipe with a soft damp cloth. Treat now and then with a neutral leather cream; dry away from direct heat."),
    "suede": ("Süet fırçasıyla tüyün yönünde fırçalayın. Giymeden önce su itici sprey uygulayın.",
              "Brush with a suede brush in the direction of the nap. Use a water-repellent spray before wearing."),
    "sneaker": ("Kirleri nemli bezle ve az sabunla silin; makinede yıkamayın. Tabanlıkları çıkarıp havalandırın.",
                "Wipe with a damp cloth and a little soap; do not machine wash. Take the insoles out to air."),
    "bedding": ("40 °C'de yıkayın; ilk yıkamada renkler ayrı yıkanmalıdır. Orta ısıda ütüleyin. Yumuşatıcı az kullanın.",
                "Wash at 40 °C; wash colours separately the first time. Iron on medium. Use little softener."),
    "towel": ("40 °C'de yıkayın; yumuşatıcı havlunun emiciliğini azaltır, kullanmayın. Düşük ısıda kurutun.",
              "Wash at 40 °C without softener, which makes towels absorb less. Tumble dry on low."),
    "ceramic": ("Yumuşak, nemli bezle silin. Su geçirmez sırlıdır; çiçek için kullanılabilir.",
                "Wipe with a soft damp cloth. The glaze is watertight, so it takes fresh flowers."),
    "candle": ("İlk yakışta yüzey tamamen eriyene kadar (yaklaşık 2 saat) yakın. Fitili 5 mm'de kısaltın; gözetimsiz bırakmayın.",
               "On first use let the whole surface melt (about 2 hours). Trim the wick to 5 mm; never leave burning unattended."),
    "dust": ("Kuru ya da hafif nemli bezle tozunu alın; doğrudan güneşte bırakmayın.",
             "Dust with a dry or slightly damp cloth; keep out of direct sunlight."),
    "cushion": ("Kılıf fermuarlıdır: yün programında 30 °C'de yıkayın, düz kurutun. İç yastık yıkanmaz, havalandırın.",
                "The cover zips off: wash at 30 °C on the wool cycle and dry flat. Air the inner cushion; do not wash it."),
    "iron_pot": ("Elde ılık su ve yumuşak süngerle yıkayın. Bulaşık makinesine koymayın. Tüm ocaklarda ve fırında (250 °C'ye kadar) kullanılır.",
                 "Wash by hand in warm water with a soft sponge. Not dishwasher safe. Works on every hob and in the oven up to 250 °C."),
    "porcelain": ("Bulaşık makinesinde ve mikrodalgada kullanılabilir.",
                  "Dishwasher and microwave safe."),
    "cups": ("Altın yaldızlı olduğu için elde yıkayın; mikrodalgaya koymayın.",
             "Hand wash because of the gold rim; not for the microwave."),
    "copper": ("Elde yıkayın ve hemen kurulayın. Parlatmak için limon ve tuzla ovun. İç kalay yıllar içinde yenilenebilir.",
               "Wash by hand and dry at once. Polish with lemon and salt. The tin lining can be renewed over the years."),
    "wood": ("Elde yıkayıp dik kurutun; suda bekletmeyin. Ayda bir kez zeytinyağıyla besleyin.",
             "Wash by hand and dry upright; never soak. Oil with olive oil once a month."),
}  # fmt: skip

# material: key -> (Turkish, English, care key)
MATERIALS = {
    "linen": ("%100 keten", "100% linen", "linen"),
    "viscose": ("%100 viskon", "100% viscose", "delicate"),
    "satin": ("%100 polyester saten, astarlı", "100% polyester satin, lined", "delicate"),
    "knit": ("%50 yün, %50 akrilik ince örgü", "50% wool, 50% acrylic fine knit", "knit"),
    "cotton": ("%100 pamuk", "100% cotton", "wash30"),
    "poplin": ("%100 pamuk poplin", "100% cotton poplin", "wash40"),
    "chiffon": ("%100 polyester şifon, pamuklu astar", "100% polyester chiffon, cotton lining", "delicate"),
    "linen_blend": ("%55 keten, %45 pamuk", "55% linen, 45% cotton", "linen"),
    "crepe": ("%64 polyester, %33 viskon, %3 elastan", "64% polyester, 33% viscose, 3% elastane", "wash30"),
    "denim": ("%98 pamuk, %2 elastan denim, 12 oz", "98% cotton, 2% elastane denim, 12 oz", "denim"),
    "rigid_denim": ("%100 pamuk denim, 13 oz", "100% cotton denim, 13 oz", "denim"),
    "leather": ("Hakiki deri üst ve astar, kauçuk taban", "Leather upper and lining, rubber sole", "leather"),
    "sneaker": ("Suni deri ve file üst, 4 cm EVA taban", "Faux leather and mesh upper, 4 cm EVA sole", "sneaker"),
    "sandal": ("Hakiki deri bantlar, 7 cm blok topuk", "Leather straps, 7 cm block heel", "leather"),
    "boot": ("Su geçirmez membranlı nubuk deri, kaymaz kauçuk taban", "Nubuck leather with a waterproof membrane, non-slip rubber sole", "leather"),
    "oxford": ("%100 pamuk Oxford dokuma", "100% cotton Oxford weave", "wash40"),
    "flannel": ("%100 pamuk fırçalanmış flanel", "100% brushed cotton flannel", "wash30"),
    "technical": ("%100 geri dönüştürülmüş polyester, hızlı kuruyan", "100% recycled polyester, quick-drying", "wash30"),
    "pique": ("%100 pamuk pike", "100% cotton piqué", "wash40"),
    "jersey": ("%100 pamuk süprem, 180 g/m²", "100% cotton jersey, 180 g/m²", "wash30"),
    "heavy_jersey": ("%100 pamuk, 220 g/m² kalın süprem", "100% cotton, 220 g/m² heavy jersey", "wash30"),
    "gabardine": ("%98 pamuk, %2 elastan gabardin", "98% cotton, 2% elastane gabardine", "wash30"),
    "ripstop": ("%100 pamuk ripstop", "100% cotton ripstop", "wash40"),
    "fleece": ("%80 pamuk, %20 polyester üç iplik", "80% cotton, 20% polyester fleece-back", "wash30"),
    "suede": ("Süet deri üst, kauçuk taban", "Suede upper, rubber sole", "suede"),
    "espadrille": ("Keten üst, örme jüt ve kauçuk taban", "Linen upper, braided jute and rubber sole", "dust"),
    "merino": ("%100 merinos yünü, 200 g/m²", "100% merino wool, 200 g/m²", "knit"),
    "percale": ("%100 pamuk ranforce, 144 tel", "100% cotton percale, 144 thread count", "bedding"),
    "sateen": ("%100 pamuk saten, 300 tel", "100% cotton sateen, 300 thread count", "bedding"),
    "washed_linen": ("%100 yıkanmış keten", "100% stone-washed linen", "bedding"),
    "bedspread": ("%100 pamuk pike dokuma", "100% cotton waffle piqué", "bedding"),
    "muslin": ("%100 pamuk, dört kat müslin", "100% cotton, four-layer muslin", "bedding"),
    "terry": ("%100 Türk pamuğu havlu, 550 g/m²", "100% Turkish cotton terry, 550 g/m²", "towel"),
    "peshtemal": ("%100 pamuk, Denizli'de tezgâhta dokunmuş", "100% cotton, loom-woven in Denizli", "towel"),
    "bamboo": ("%60 bambu viskon, %40 pamuk", "60% bamboo viscose, 40% cotton", "towel"),
    "robe": ("%100 pamuk havlu, şal yaka, iki cep", "100% cotton terry, shawl collar, two pockets", "towel"),
    "ceramic": ("El yapımı sırlı seramik", "Handmade glazed ceramic", "ceramic"),
    "cushion": ("%100 akrilik örgü kılıf, %100 polyester elyaf iç", "100% acrylic knit cover, polyester fibre filling", "cushion"),
    "candle": ("Soya mumu, pamuk fitil, cam kap", "Soy wax, cotton wick, glass jar", "candle"),
    "seagrass": ("El örgüsü deniz otu, pamuk astar", "Hand-woven seagrass, cotton lining", "dust"),
    "mirror": ("Metal çerçeve, 4 mm ayna", "Metal frame, 4 mm mirror glass", "dust"),
    "cast_iron": ("Emaye kaplı döküm demir", "Enamelled cast iron", "iron_pot"),
    "porcelain": ("Sert porselen", "Hard porcelain", "porcelain"),
    "cup_porcelain": ("Porselen, altın yaldız", "Porcelain with gold rim", "cups"),
    "apron": ("%100 keten, ayarlanabilir boyun askısı", "100% linen, adjustable neck strap", "linen"),
    "copper": ("El dövmesi 1 mm bakır, kalaylı iç, pirinç sap", "Hand-hammered 1 mm copper, tin lining, brass handle", "copper"),
    "olive": ("Tek parça zeytin ağacı", "One piece of olive wood", "wood"),
}  # fmt: skip

# Size guides: key -> (Turkish caption, English caption, Turkish header, English header, rows
# by size slug). The rows shown are the sizes the product comes in.
SIZE_GUIDES = {
    "women": ("Beden tablosu (cm)", "Size guide (cm)",
              ["Beden", "TR", "Göğüs", "Bel", "Kalça"], ["Size", "EU", "Bust", "Waist", "Hips"],
              {"xs": ["XS", "34", "80–84", "62–66", "88–92"], "s": ["S", "36", "84–88", "66–70", "92–96"],
               "m": ["M", "38", "88–92", "70–74", "96–100"], "l": ["L", "40", "92–98", "74–80", "100–106"],
               "xl": ["XL", "42", "98–104", "80–86", "106–112"]}),
    "women_trousers": ("Beden tablosu (cm)", "Size guide (cm)",
                       ["Beden", "TR", "Bel", "Kalça", "İç bacak"], ["Size", "EU", "Waist", "Hips", "Inside leg"],
                       {"xs": ["XS", "34", "62–66", "88–92", "76"], "s": ["S", "36", "66–70", "92–96", "77"],
                        "m": ["M", "38", "70–74", "96–100", "78"], "l": ["L", "40", "74–80", "100–106", "79"],
                        "xl": ["XL", "42", "80–86", "106–112", "80"]}),
    "men": ("Beden tablosu (cm)", "Size guide (cm)",
            ["Beden", "Göğüs", "Bel", "Boy"], ["Size", "Chest", "Waist", "Length"],
            {"xs": ["XS", "86–92", "72–78", "70"], "s": ["S", "92–98", "78–84", "72"],
             "m": ["M", "98–104", "84–90", "74"], "l": ["L", "104–110", "90–96", "76"],
             "xl": ["XL", "110–116", "96–102", "78"]}),
    "men_trousers": ("Beden tablosu (cm)", "Size guide (cm)",
                     ["Beden", "Bel (inç)", "Bel", "Kalça", "İç bacak"], ["Size", "Waist (in)", "Waist", "Seat", "Inside leg"],
                     {"xs": ["XS", "29", "72–76", "90–94", "80"], "s": ["S", "30–31", "76–80", "94–98", "81"],
                      "m": ["M", "32–33", "80–86", "98–104", "82"], "l": ["L", "34–35", "86–92", "104–110", "83"],
                      "xl": ["XL", "36–38", "92–98", "110–116", "84"]}),
    "robe": ("Beden tablosu (cm)", "Size guide (cm)",
             ["Beden", "Göğüs", "Boy", "Kol"], ["Size", "Chest", "Length", "Sleeve"],
             {"s": ["S", "88–96", "110", "58"], "m": ["M", "96–104", "114", "60"], "l": ["L", "104–112", "118", "62"]}),
    "shoes": ("Numara tablosu", "Shoe size guide",
              ["Numara", "Ayak uzunluğu (cm)", "UK"], ["EU size", "Foot length (cm)", "UK"],
              {"36": ["36", "23,0", "3"], "37": ["37", "23,7", "4"], "38": ["38", "24,3", "5"],
               "39": ["39", "25,0", "6"], "40": ["40", "25,7", "6,5"], "41": ["41", "26,3", "7"],
               "42": ["42", "27,0", "8"], "43": ["43", "27,7", "9"], "44": ["44", "28,3", "9,5"],
               "45": ["45", "29,0", "10,5"]}),
    "bedding": ("Takım içeriği (cm)", "What is in the set (cm)",
                ["Boyut", "Nevresim", "Çarşaf", "Yastık kılıfı"], ["Size", "Duvet cover", "Sheet", "Pillowcases"],
                {"tek-kisilik": ["Tek kişilik", "160×220", "160×240", "1 × 50×70"],
                 "cift-kisilik": ["Çift kişilik", "200×220", "240×260", "2 × 50×70"]}),
    "towel": ("Ölçüler (cm)", "Sizes (cm)",
              ["Ölçü", "Kullanım", "Ağırlık"], ["Size", "Use", "Weight"],
              {"50x90": ["50×90", "El ve yüz", "250 g"], "70x140": ["70×140", "Banyo", "540 g"],
               "standart": ["90×180", "Plaj, hamam", "380 g"]}),
}  # fmt: skip

# English words of a size-guide row (the Turkish is in the table above).
ROW_WORDS_EN = {"Tek kişilik": "Single", "Çift kişilik": "Double", "El ve yüz": "Hands and face",
                "Banyo": "Bath", "Plaj, hamam": "Beach, hammam"}  # fmt: skip

# Turkish name -> (size guide or "", material, Turkish text, English text, fit or dimensions in
# Turkish, in English). A size guide names its table; home goods give their dimensions instead.
PRODUCT_TEXTS = {
    "Keten Midi Elbise": ("women", "linen", "Yazın ilk sıcak günlerinden akşam yemeklerine uzanan, nefes alan bir midi elbise. Kare yaka, ince askılar ve belden oturan kesimiyle sade ama özenli.", "A breathable midi dress for the first warm days and long summer evenings. Square neck, thin straps and a fitted waist: simple, but considered.", "Belden oturan, eteği hafif kloş. Boy 118 cm (M beden).", "Fitted waist, softly flared skirt. Length 118 cm (size M)."),
    "Çiçek Desenli Viskon Elbise": ("women", "viscose", "Akışkan viskon kumaşı üzerinde küçük çiçek desenleriyle, her gün giyilecek rahat bir elbise. Düğmeli ön patı ve bağcıklı beli var.", "An easy everyday dress in fluid viscose with a small floral print, a buttoned front and a tie waist.", "Rahat kesim; belden bağlanarak ayarlanır. Boy 112 cm.", "Relaxed fit that you shape with the tie belt. Length 112 cm."),
    "Kruvaze Yaka Saten Elbise": ("women", "satin", "Işığı yumuşakça yansıtan saten kumaştan kruvaze yaka bir gece elbisesi. Yan bağcıklı, astarlı, dökümlü.", "A wrap-front evening dress in softly lustrous satin. Side tie, fully lined, with a fluid drape.", "Vücudu saran kesim; yandan bağlanır. Boy 120 cm.", "Close fit that ties at the side. Length 120 cm."),
    "Örme Kazak Elbise": ("women", "knit", "Serin günler için ince örgü, dik yaka bir kazak elbise. Bot ve kalın çorapla da, sneaker ile de giyilir.", "A fine-knit roll-neck jumper dress for cool days, as good with boots and tights as with trainers.", "Düz kesim, diz üstü. Boy 98 cm.", "Straight cut, above the knee. Length 98 cm."),
    "Askılı Yazlık Elbise": ("women", "cotton", "Pamuklu, hafif ve tam tatil için: ayarlanabilir askılı, kat kat fırfırlı bir yazlık elbise.", "Light cotton, made for holidays: a tiered summer dress with adjustable straps.", "Bol kesim, askılar ayarlanabilir. Boy 110 cm.", "Loose fit, adjustable straps. Length 110 cm."),
    "Poplin Oversize Gömlek": ("women", "poplin", "Tok poplin kumaştan oversize bir gömlek: tek başına, ceket altında ya da açık bir kat olarak.", "An oversized shirt in crisp poplin: wear it on its own, under a blazer or open as a layer.", "Oversize kalıp; bir beden küçük alabilirsiniz.", "Oversized fit; you may size down."),
    "Fırfırlı Şifon Bluz": ("women", "chiffon", "Yakasında ve kol ağzında ince fırfırlar olan, astarlı şifon bir bluz. Ofiste de, akşam da şık.", "A lined chiffon blouse with fine ruffles at the neck and cuffs, smart at the office and in the evening.", "Normal kalıp, düğmeli manşet.", "Regular fit, buttoned cuffs."),
    "İpeksi Saten Bluz": ("women", "satin", "İpek dokunuşlu saten bir bluz; gizli düğme patı ve yumuşak dökümüyle kumaş pantolonla ya da jeanle giyilir.", "A silky satin blouse with a concealed button placket and a soft drape, for tailored trousers or jeans.", "Rahat kalıp.", "Relaxed fit."),
    "Basic Pamuklu Tişört": ("women", "jersey", "Gardırobun temeli: bisiklet yaka, yumuşak pamuklu bir tişört. Yıkandıkça formunu korur.", "The wardrobe staple: a soft crew-neck cotton T-shirt that keeps its shape wash after wash.", "Normal kalıp.", "Regular fit."),
    "Çizgili Keten Gömlek": ("women", "linen_blend", "İnce çizgili keten karışımlı bir gömlek; sıcak günlerde serin tutar, kolları katlanarak giyilir.", "A fine-striped linen-blend shirt that keeps you cool; made to be worn with the sleeves rolled up.", "Rahat kalıp, yırtmaçlı etek ucu.", "Relaxed fit, split hem."),
    "Yüksek Bel Palazzo Pantolon": ("women_trousers", "crepe", "Yüksek belli, geniş paçalı, akışkan bir palazzo pantolon. Boyu uzun gösterir, gün boyu rahattır.", "Flowing high-waisted palazzo trousers with wide legs that lengthen the silhouette and stay comfortable all day.", "Yüksek bel, arkası lastikli, yan cepli.", "High waist, elasticated back, side pockets."),
    "Mom Fit Jean": ("women_trousers", "rigid_denim", "Yüksek bel, kalçada rahat, bileğe doğru daralan bir mom fit jean. Esnemeyen, sağlam pamuk denim.", "High-rise mom-fit jeans, roomy at the hip and tapering to the ankle, in rigid cotton denim.", "Yüksek bel, bilek boyu. Esnemez; kalçanıza göre seçin.", "High rise, ankle length. No stretch: choose by your hip size."),
    "Kumaş Havuç Pantolon": ("women_trousers", "crepe", "Pileli, havuç kesim bir kumaş pantolon; ofis için düzgün, gün boyu rahat.", "Pleated, tapered tailored trousers: neat for the office, comfortable all day.", "Normal bel, pileli, bilek boyu.", "Regular waist, pleated, ankle length."),
    "Keten Bol Paça Pantolon": ("women_trousers", "linen", "Yazın vazgeçilmezi, beli lastikli bol paça keten pantolon. Plajdan şehre rahatça geçer.", "The summer essential: wide-leg linen trousers with an elasticated waist, from the beach to the city.", "Lastikli bel, bağcıklı, bol paça.", "Elasticated drawstring waist, wide leg."),
    "Deri Loafer": ("shoes", "leather", "Yumuşak hakiki deriden, klasik bantlı bir loafer. İçi deri astarlı, tabanı kaymaz.", "Classic penny loafers in soft leather, leather-lined, with a non-slip sole.", "Normal kalıp; geniş ayak için bir numara büyük alın.", "True to size; take one size up for wide feet."),
    "Kalın Taban Sneaker": ("shoes", "sneaker", "Hafif EVA tabanıyla boyu uzatan, gün boyu rahat bir kalın taban sneaker.", "Chunky trainers on a light EVA sole that add height and stay comfortable all day.", "Normal kalıp.", "True to size."),
    "Topuklu Sandalet": ("shoes", "sandal", "İnce bantlı, 7 cm blok topuklu bir sandalet; düğünde de, yaz akşamında da rahat.", "Strappy sandals on a 7 cm block heel, comfortable at a wedding or on a summer evening.", "Normal kalıp, ayarlanabilir bilek bandı.", "True to size, adjustable ankle strap."),
    "Su Geçirmez Bot": ("shoes", "boot", "Yağmurda, karda, şehirde ve patikada: su geçirmez membranlı, sıcak tutan bir bot.", "For rain and snow, city and trail: a warm boot with a waterproof membrane.", "Kalın çorapla rahat; normal kalıp.", "Roomy enough for thick socks; true to size."),
    "Slim Fit Oxford Gömlek": ("men", "oxford", "Dayanıklı Oxford dokumadan, düğmeli yaka slim fit bir gömlek. Takımla da jeanle de olur.", "A button-down slim-fit shirt in hard-wearing Oxford cloth, right with a suit or with jeans.", "Slim fit: göğüs ve belde vücuda yakın.", "Slim fit: close at the chest and waist."),
    "Oduncu Flanel Gömlek": ("men", "flannel", "Fırçalanmış pamuk flanelden, kareli, sıcak tutan bir oduncu gömlek. Tişört üstüne ceket gibi de giyilir.", "A warm checked lumberjack shirt in brushed cotton flannel, also worn open over a T-shirt like a jacket.", "Rahat kalıp, iki göğüs cebi.", "Relaxed fit, two chest pockets."),
    "Keten Yazlık Gömlek": ("men", "linen", "Sıcak yaz günleri için hafif keten bir gömlek; kısa süreli kırışıklığı onun karakteridir.", "A light linen shirt for hot summer days; the creases are part of its character.", "Normal kalıp.", "Regular fit."),
    "Klasik Yaka Poplin Gömlek": ("men", "poplin", "Ütüsü kolay pamuk poplinden klasik yaka bir gömlek: iş günlerinin güvenilir parçası.", "A classic-collar shirt in easy-iron cotton poplin: the workday shirt you can count on.", "Normal kalıp, yaka içi balenli.", "Regular fit, collar stays."),
    "Bisiklet Yaka Pamuklu Tişört": ("men", "jersey", "Yumuşak pamuktan, bisiklet yaka temel tişört. Yakası yıkandıkça bollaşmaz.", "The basic crew-neck T-shirt in soft cotton, with a neckline that does not stretch out in the wash.", "Normal kalıp.", "Regular fit."),
    "Outdoor Teknik Tişört": ("men", "technical", "Terinizi hızla dışarı atan, çabuk kuruyan hafif bir teknik tişört. Yürüyüşte ve sporda.", "A light technical T-shirt that wicks sweat and dries fast, for hiking and sport.", "Atletik kalıp, düz dikişler.", "Athletic fit, flat seams."),
    "Polo Yaka Pike Tişört": ("men", "pique", "Pamuk pike kumaştan, iki düğmeli klasik polo yaka tişört.", "A classic two-button polo shirt in cotton piqué.", "Normal kalıp, yırtmaçlı etek.", "Regular fit, split hem."),
    "Baskılı Oversize Tişört": ("men", "heavy_jersey", "Kalın pamuktan, düşük omuzlu oversize bir tişört; sırtında İstanbul çizimi baskılı.", "A drop-shoulder oversized T-shirt in heavy cotton, with an Istanbul drawing printed on the back.", "Oversize kalıp; normal bedeninizi alın.", "Oversized fit; take your usual size."),
    "Regular Fit Chino Pantolon": ("men_trousers", "gabardine", "Hafif esnek gabardinden düz kesim bir chino; haftanın her günü için.", "Straight chinos in a gabardine with a little stretch, for every day of the week.", "Regular fit, normal bel.", "Regular fit, mid rise."),
    "Kargo Cepli Pantolon": ("men_trousers", "ripstop", "Yırtılmaya dayanıklı ripstop kumaştan, kapaklı kargo cepli bir pantolon.", "Cargo trousers with flap pockets in tear-resistant ripstop cotton.", "Rahat kalıp, paçası bağcıklı.", "Relaxed fit, drawcord hems."),
    "Slim Fit Jean": ("men_trousers", "denim", "Hafif esnek denimden, beş cepli slim fit bir jean.", "Five-pocket slim-fit jeans in denim with a little stretch.", "Slim fit, normal bel.", "Slim fit, mid rise."),
    "Eşofman Altı": ("men_trousers", "fleece", "İçi şardonlu, beli lastikli, manşetli bir eşofman altı; evde ve sporda.", "Brushed-back jogging bottoms with an elasticated waist and cuffs, for home and the gym.", "Rahat kalıp, fermuarlı yan cepler.", "Relaxed fit, zipped side pockets."),
    "Deri Oxford Ayakkabı": ("shoes", "leather", "Klasik bağcıklı, hakiki deri Oxford ayakkabı; düğün, toplantı ve takım elbise için.", "Classic lace-up Oxford shoes in leather, for weddings, meetings and suits.", "Normal kalıp.", "True to size."),
    "Trekking Botu": ("shoes", "boot", "Bilek destekli, su geçirmez bir trekking botu; Kaçkarlar'da da şehirde de.", "Waterproof hiking boots with ankle support, for the Kaçkar mountains or the city.", "Kalın çorapla giyilecek şekilde; normal kalıp.", "Made for thick socks; true to size."),
    "Süet Sneaker": ("shoes", "suede", "Süet deriden, sade, düşük bilekli bir sneaker.", "Simple low-top sneakers in suede.", "Normal kalıp.", "True to size."),
    "Keten Espadril": ("shoes", "espadrille", "Keten yüzlü, jüt tabanlı, yazlık bir espadril. Çıplak ayakla bile rahat.", "Summer espadrilles with a linen upper and a jute sole, comfortable even without socks.", "Dar kalıp; arada kalırsanız büyük numarayı alın.", "Runs small; between sizes, take the larger."),
    "Ranforce Nevresim Takımı": ("bedding", "percale", "Sık dokunmuş, pürüzsüz pamuk ranforceden, yıkandıkça yumuşayan bir nevresim takımı.", "A duvet set in smooth, tightly woven cotton percale that softens with every wash.", "", ""),
    "Saten Nevresim Takımı": ("bedding", "sateen", "Pamuk saten dokumanın ipeksi parlaklığıyla, serin ve yumuşak bir nevresim takımı.", "A cool, soft duvet set with the silky sheen of cotton sateen.", "", ""),
    "Keten Nevresim Takımı": ("bedding", "washed_linen", "Yıkanmış ketenin doğal dokusuyla; yazın serin, kışın sıcak tutan bir nevresim takımı.", "A duvet set in stone-washed linen with its natural texture: cool in summer, warm in winter.", "", ""),
    "Pike Takımı": ("", "bedspread", "Yazın yorgan yerine, kışın yatak örtüsü olarak kullanılan pamuk pike takımı.", "A cotton bedspread set: a light cover in summer, a bedspread in winter.", "Tek kişilik pike 160×240, çift kişilik 240×250; yastık kılıfları dahil.", "Single bedspread 160×240, double 240×250; pillowcases included."),
    "Müslin Yorgan Kılıfı": ("", "muslin", "Dört kat pamuk müslinden, hafif ve nefes alan bir yorgan kılıfı. Bebek odası için de uygun.", "A light, breathable duvet cover in four layers of cotton muslin, also right for a nursery.", "Yalnız yorgan kılıfı: tek kişilik 160×220, çift kişilik 200×220.", "Duvet cover only: single 160×220, double 200×220."),
    "Pamuklu Banyo Havlusu": ("towel", "terry", "Türk pamuğundan, kalın ve çok emici bir banyo havlusu. İlk yıkamadan sonra daha da yumuşar.", "A thick, very absorbent bath towel in Turkish cotton that gets softer after the first wash.", "", ""),
    "Peştemal Plaj Havlusu": ("towel", "peshtemal", "Denizli tezgâhlarında dokunmuş, saçaklı bir peştemal: plajda hafif, çantada küçük, çabuk kurur.", "A fringed peshtemal loom-woven in Denizli: light on the beach, small in the bag, quick to dry.", "", ""),
    "Bambu Yüz Havlusu": ("towel", "bamboo", "Bambu lifinin yumuşaklığıyla hassas ciltler için bir yüz havlusu.", "A face towel with the softness of bamboo fibre, kind to sensitive skin.", "", ""),
    "Bornoz": ("robe", "robe", "Şal yakalı, kuşaklı, iki cepli, kalın pamuk havludan bir bornoz.", "A thick cotton terry bathrobe with a shawl collar, belt and two pockets.", "Unisex kalıp.", "Unisex fit."),
    "Seramik Vazo": ("", "ceramic", "Tornada elle şekillendirilmiş, mat sırlı bir seramik vazo. Her biri biraz farklıdır.", "A ceramic vase thrown on the wheel by hand and finished in a matt glaze; each one is a little different.", "Yükseklik 28 cm, gövde çapı 18 cm, ağız çapı 7 cm.", "Height 28 cm, body 18 cm across, opening 7 cm."),
    "Örgü Kırlent": ("", "cushion", "Saç örgüsü desenli, kalın örgü bir kırlent; koltuğa ve yatağa sıcaklık katar.", "A chunky cable-knit cushion that warms up a sofa or a bed.", "45×45 cm, fermuarlı kılıf, iç yastık dahil.", "45×45 cm, zipped cover, inner cushion included."),
    "Kokulu Mum": ("", "candle", "İncir ve sedir kokulu, soya mumundan el dökümü bir mum.", "A hand-poured soy wax candle scented with fig and cedar.", "220 g, yaklaşık 45 saat yanma süresi. Yükseklik 9 cm.", "220 g, about 45 hours of burning. Height 9 cm."),
    "Hasır Sepet": ("", "seagrass", "Deniz otundan el örgüsü, kulplu bir sepet; battaniye, oyuncak ya da çamaşır için.", "A hand-woven seagrass basket with handles, for blankets, toys or laundry.", "Çap 40 cm, yükseklik 35 cm.", "40 cm across, 35 cm high."),
    "Duvar Aynası": ("", "mirror", "İnce metal çerçeveli, deri askılı yuvarlak bir duvar aynası; antrede ve banyoda.", "A round wall mirror with a thin metal frame and a leather strap, for the hall or the bathroom.", "Çap 60 cm; askı ve vidalar dahil.", "60 cm across; strap and screws included."),
    "Döküm Tencere": ("", "cast_iron", "Isıyı eşit dağıtan emaye döküm bir tencere; kuru fasulyeden ekmeğe, ocakta ve fırında.", "An enamelled cast-iron pot that spreads heat evenly, from slow-cooked beans to bread, on the hob or in the oven.", "24 cm, 4,2 litre, 4,6 kg.", "24 cm, 4.2 litres, 4.6 kg."),
    "Porselen Yemek Takımı": ("", "porcelain", "Altı kişilik sade beyaz porselen yemek takımı; her gün ve misafir sofrası için.", "A plain white porcelain dinner set for six, for every day and for guests.", "24 parça: 6 servis tabağı (27 cm), 6 çukur tabak, 6 tatlı tabağı, 6 kase.", "24 pieces: 6 dinner plates (27 cm), 6 soup plates, 6 dessert plates, 6 bowls."),
    "Türk Kahvesi Fincan Takımı": ("", "cup_porcelain", "Altın yaldızlı, iki kişilik porselen Türk kahvesi fincan takımı; şık bir hediye kutusunda.", "A porcelain Turkish coffee set for two with a gold rim, in a gift box.", "2 fincan (90 ml) ve 2 tabak.", "2 cups (90 ml) and 2 saucers."),
    "Keten Mutfak Önlüğü": ("", "apron", "Büyük ön cepli, ayarlanabilir askılı keten bir mutfak önlüğü.", "A linen apron with a large front pocket and an adjustable neck strap.", "70×85 cm, bağcıklar 90 cm.", "70×85 cm, ties 90 cm."),
    "Bakır Cezve": ("", "copper", "Gaziantep'te elde dövülmüş, kalaylı bir bakır cezve; köpüklü Türk kahvesinin sırrı.", "A hand-hammered, tin-lined copper coffee pot from Gaziantep: the secret of a frothy Turkish coffee.", "2 fincanlık, 200 ml.", "Makes 2 cups, 200 ml."),
    "Zeytin Ağacı Kesme Tahtası": ("", "olive", "Tek parça zeytin ağacından, damarları her biri için ayrı bir kesme ve servis tahtası.", "A chopping and serving board cut from a single piece of olive wood, its grain different every time.", "Yaklaşık 40×20×2 cm.", "About 40×20×2 cm."),
    "Gömlek Elbise": ("women", "cotton", "Kuşaklı, düğmeli, midi boy bir gömlek elbise; tek başına ya da açık bir ceket gibi.", "A belted midi shirt dress, buttoned, to wear on its own or open like a coat.", "Rahat kalıp, bel kuşağıyla ayarlanır. Boy 116 cm.", "Relaxed fit, shaped by the belt. Length 116 cm."),
    "Merinos Yün İçlik": ("men", "merino", "İnce merinos yününden, kaşındırmayan ve koku tutmayan bir içlik. Kışın kat kat giyimin ilk katı.", "A fine merino base layer that does not itch or hold odours: the first layer for winter.", "Vücuda oturan kalıp.", "Close fit."),
}  # fmt: skip

LABELS = {
    "tr": {"material": "Malzeme", "care": "Bakım", "fit": "Kalıp", "dimensions": "Ölçüler"},
    "en": {"material": "Material", "care": "Care", "fit": "Fit", "dimensions": "Dimensions"},
}


def description(name_tr: str, *, language: str, sizes: list[str]) -> str:
    """The description of the demo product `name_tr` in `language` ("tr" or "en"), with the
    size guide's rows for the sizes it comes in."""
    guide, material, text_tr, text_en, extra_tr, extra_en = PRODUCT_TEXTS[name_tr]
    english = language == "en"
    labels = LABELS[language]
    material_tr, material_en, care = MATERIALS[material]
    lines = [
        f"{labels['material']}: {material_en if english else material_tr}",
        f"{labels['care']}: {CARE[care][1 if english else 0]}",
    ]
    extra = extra_en if english else extra_tr
    if extra:
        lines.append(f"{labels['fit' if guide else 'dimensions']}: {extra}")
    blocks = [text_en if english else text_tr, "\n".join(lines)]
    if guide:
        blocks.append(_size_table(guide, english=english, sizes=sizes))
    return "\n\n".join(blocks)


def _size_table(guide: str, *, english: bool, sizes: list[str]) -> str:
    caption_tr, caption_en, header_tr, header_en, rows = SIZE_GUIDES[guide]
    lines = [caption_en if english else caption_tr, " | ".join(header_en if english else header_tr)]
    for size in sizes:
        row = rows[size]
        if english:
            row = [c.replace(",", ".") if c[:1].isdigit() else ROW_WORDS_EN.get(c, c) for c in row]
        lines.append(" | ".join(row))
    return "\n".join(lines)
