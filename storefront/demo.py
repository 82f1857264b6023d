"""The demo shop's own pages (storefront.models.ShopPage), in Turkish and English: what a Turkish
web shop links in its footer. The texts are Moda Ev's, the merchant's to edit in the admin; the
retailer's details come in through placeholders ({{legal_name}}...), so they stay right when
the retailer's record changes. They are examples, not legal advice."""

from __future__ import annotations

from omni.seeding import DemoRun
from storefront.models import ShopPage

SEED_AFTER = ("sales_channels",)  # the retailer the pages name

RETURNS_TR = """\
Aldığınız ürün içinize sinmediyse, teslim aldığınız günden başlayarak **{{return_days}} gün** içinde gerekçe göstermeden iade edebilir ya da değiştirebilirsiniz (cayma hakkı, 6502 sayılı Tüketicinin Korunması Hakkında Kanun ve Mesafeli Sözleşmeler Yönetmeliği).

## Nasıl iade ederim?
- Hesabım \u203a Siparişlerim sayfasında siparişi açın ve “İade et”i seçin; iade etmek istediğiniz ürünleri ve adetlerini işaretleyin.
- Ürünleri, mümkünse orijinal ambalajında ve etiketi sökülmeden paketleyin. Faturanın iade bölümünü doldurup kolinin içine koyun.
- Size verilen iade kodu ile kargoya ücretsiz teslim edin ya da ürünleri herhangi bir Moda Ev mağazasına (Kadıköy, Kızılay, Alsancak) getirin.

## Değişim
Beden ya da renk değişimini mağazalarımızda hemen yapabiliriz; istediğiniz ürün o mağazada yoksa başka bir mağazadan ya da depomuzdan getirtir, hazır olunca size haber veririz. İnternetten değişim için ürünü iade edip yenisini sipariş etmeniz en hızlısıdır.

## Paranız ne zaman iade edilir?
İade ettiğiniz ürünler bize ulaşıp kontrol edildikten sonra en geç 14 gün içinde, ödemeyi yaptığınız yönteme iade ederiz: kartınıza (bankanıza bağlı olarak ekstrenize yansıması birkaç gün sürebilir), hediye kartınıza ya da isterseniz mağaza bakiyenize. Kapıda ya da mağazada nakit ödediyseniz iade mağazadan nakit ya da banka havalesi ile yapılır.

## İade edilemeyen ürünler
- Hijyen nedeniyle ambalajı açılmış iç giyim, mayo ve bikini altları, çoraplar;
- Sizin için ölçüye göre hazırlanan ya da kişiselleştirilen ürünler (nakışlı havlu gibi);
- Kullanılmış, yıkanmış ya da zarar görmüş ürünler.

Kusurlu bir ürün aldıysanız süre sınırı olmaksızın bize yazın: değişim, onarım ya da iade seçeneklerinden birini siz seçersiniz.

Sorularınız için: {{email}} · {{phone}}
"""

RETURNS_EN = """\
If you are not happy with what you bought, you may return or exchange it within **{{return_days}} days** of receiving it, without giving a reason (the right of withdrawal under Turkey's Consumer Protection Law no. 6502 and its Regulation on Distance Contracts).

## How do I return an item?
- Open the order under Your account \u203a Orders and choose “Return”; tick the items and quantities you are returning.
- Pack the items, in their original packaging and with their labels on if you can. Fill in the return part of the invoice and put it in the parcel.
- Hand the parcel to the carrier free of charge with the return code we give you, or bring the items to any Moda Ev store (Kadıköy, Kızılay, Alsancak).

## Exchanges
Our stores exchange a size or a colour on the spot; when the item you want is not on that store's shelf, we bring it from another store or our warehouse and let you know when it is ready. Online, the quickest way is to return the item and order the new one.

## When do I get my money back?
Within 14 days at the latest of the returned items reaching us and being checked, to the way you paid: your card (your bank may take a few days to show it), your gift card or, if you prefer, your store credit. Cash paid at the door or in a store is refunded in cash at a store or by bank transfer.

## What cannot be returned
- Underwear, swimwear bottoms and socks whose hygiene seal is opened;
- Items made to measure or personalised for you (an embroidered towel, for example);
- Items used, washed or damaged.

If an item is faulty, write to us whenever you notice it: you choose an exchange, a repair or a refund.

Questions: {{email}} · {{phone}}
"""

DELIVERY_TR = """\
Siparişlerinizi Türkiye'nin her yerine gönderiyoruz; dilerseniz size en yakın mağazamızdan ücretsiz teslim alabilirsiniz.

## Kargo seçenekleri
- **Standart Kargo:** 2\u20134 iş günü, 49,90 ₺. 750 ₺ ve üzeri alışverişlerde ücretsiz.
- **Hızlı Kargo:** 1 iş günü, 89,90 ₺. Hafta içi saat 14.00'e kadar verilen siparişler aynı gün kargoya verilir.

Siparişiniz kargoya verildiğinde takip numarasını e-posta ile gönderiyoruz; durumunu Hesabım \u203a Siparişlerim sayfasından da izleyebilirsiniz.

## Mağazadan teslim al
Ödemenizi yaparken “Mağazadan teslim al”ı seçin: ürün o mağazada varsa genellikle 2 saat içinde, başka bir mağazadan ya da depodan gelecekse 2 iş günü içinde hazırlanır. Hazır olduğunda size SMS ve e-posta ile bir teslim kodu göndeririz. Siparişiniz mağazada **{{pickup_days}} gün** bekler; bu süre içinde alınmayan sipariş iptal edilir ve ödemeniz iade edilir.

## Teslimatta dikkat edilecekler
Koliyi teslim alırken hasar olup olmadığına bakın; hasarlıysa kargo görevlisine tutanak tutturun ve bize haber verin, yenisini hemen göndeririz. Evde yoksanız kargo firması bir kez daha dener, ardından paketi en yakın şubesinde 3 gün bekletir.

Yurt dışına gönderim şu an yapılmamaktadır.
"""

DELIVERY_EN = """\
We deliver anywhere in Turkey; if you prefer, collect your order free of charge at the Moda Ev store nearest to you.

## Delivery options
- **Standard delivery:** 2\u20134 working days, 49.90 ₺. Free on orders of 750 ₺ or more.
- **Express delivery:** 1 working day, 89.90 ₺. Orders placed by 14:00 on a weekday leave the same day.

When your order is handed to the carrier we e-mail you its tracking number; you can also follow it under Your account \u203a Orders.

## Click and collect
Choose “Collect in store” at checkout: an item on that store's shelf is usually ready within 2 hours, one coming from another store or our warehouse within 2 working days. When it is ready we send you a collection code by text message and e-mail. The store keeps your order for **{{pickup_days}} days**; an order not collected by then is cancelled and refunded.

## On delivery
Look the parcel over when you receive it; if it is damaged, ask the courier to record it and tell us: we send a new one at once. If you are not at home the carrier tries once more, then keeps the parcel at its nearest branch for 3 days.

We do not deliver outside Turkey at present.
"""

PRIVACY_TR = """\
Bu aydınlatma metni, 6698 sayılı Kişisel Verilerin Korunması Kanunu'nun (KVKK) 10. maddesi uyarınca, veri sorumlusu sıfatıyla **{{legal_name}}** (“Moda Ev”) tarafından hazırlanmıştır.

## Veri sorumlusu
{{legal_name}}
{{address}} {{city}}
MERSİS: {{mersis_number}} · KEP: {{kep_address}} · E-posta: {{email}}

## Hangi kişisel verilerinizi işliyoruz?
- Kimlik ve iletişim: ad, soyad, e-posta adresi, telefon numarası, teslimat ve fatura adresleri;
- Müşteri işlem: siparişleriniz, iadeleriniz, sepetiniz, favorileriniz, sadakat puanlarınız;
- İşlem güvenliği: IP adresi, oturum bilgileri, giriş kayıtları;
- Pazarlama: ticari elektronik ileti izinleriniz ve (izin verdiyseniz) alışveriş tercihleriniz.

Kart bilgileriniz bizde saklanmaz; ödeme, BDDK lisanslı ödeme kuruluşu tarafından alınır.

## Hangi amaçlarla ve hangi hukuki sebeplerle?
- Siparişinizi almak, teslim etmek, iade ve değişimlerinizi yapmak: sözleşmenin kurulması ve ifası (KVKK m. 5/2-c);
- Fatura düzenlemek, kayıtları saklamak, yetkili kurumların taleplerini karşılamak: hukuki yükümlülük (m. 5/2-ç);
- Hesabınızın ve sitemizin güvenliği, dolandırıcılığın önlenmesi: meşru menfaat (m. 5/2-f);
- Kampanya ve fırsatları size iletmek: yalnızca açık rızanız ve İYS'ye kayıtlı izniniz ile (m. 5/1).

## Kimlere aktarıyoruz?
Siparişinizin teslimi için kargo firmalarına, ödemeniz için ödeme kuruluşuna, e-fatura için entegratörümüze, sistemlerimizi barındıran hizmet sağlayıcılarımıza ve kanunen yetkili kamu kurumlarına, yalnızca gereken ölçüde aktarıyoruz. Yurt dışına aktarım yapmıyoruz.

## Ne kadar süre saklıyoruz?
Sipariş ve fatura kayıtlarını vergi mevzuatının öngördüğü süre (10 yıl) boyunca; misafir sepetlerini ve pazarlama tercihlerini ise amaca hizmet ettikleri süre kadar saklar, süresi dolanları periyodik imha ile sileriz.

## Haklarınız
KVKK m. 11 uyarınca verilerinizin işlenip işlenmediğini öğrenme, bilgi isteme, düzeltilmesini ya da silinmesini isteme, aktarıldığı kişileri bilme, itiraz etme ve zararın giderilmesini isteme haklarına sahipsiniz. Hesabım \u203a Kişisel verilerim sayfasından verilerinizin bir kopyasını indirebilir ya da silinmesini isteyebilirsiniz; başvurularınızı {{email}} adresine ya da KEP ile {{kep_address}} adresine de iletebilirsiniz. Başvurunuzu en geç 30 gün içinde ücretsiz yanıtlarız.
"""

PRIVACY_EN = """\
This notice is given by **{{legal_name}}** (“Moda Ev”), as data controller, under article 10 of Turkey's Law no. 6698 on the Protection of Personal Data (KVKK).

## Data controller
{{legal_name}}
{{address}} {{city}}
MERSIS: {{mersis_number}} · KEP: {{kep_address}} · E-mail: {{email}}

## What personal data we process
- Identity and contact: name, e-mail address, phone number, delivery and billing addresses;
- Customer transactions: your orders, returns, cart, saved items and loyalty points;
- Security: IP address, session data, sign-in records;
- Marketing: your consents to commercial messages and (if you agreed) your shopping preferences.

We never keep your card details: payments are taken by a licensed payment institution.

## Why, and on what legal ground
- To take, deliver, return and exchange your orders: performance of a contract (KVKK art. 5/2-c);
- To issue invoices, keep records and answer authorities: legal obligation (art. 5/2-ç);
- To keep your account and our site secure and prevent fraud: legitimate interest (art. 5/2-f);
- To tell you about offers: only with your explicit consent, registered with İYS (art. 5/1).

## Who receives it
Carriers to deliver your order, the payment institution to take your payment, our e-invoice provider, the companies hosting our systems and public authorities entitled by law, each only as far as needed. We do not transfer personal data abroad.

## How long we keep it
Orders and invoices for the period tax law requires (10 years); guest carts and marketing preferences only as long as they serve their purpose, after which our periodic destruction deletes them.

## Your rights
Under article 11 of the KVKK you may ask whether we process your data, ask for information about it, have it corrected or deleted, learn who received it, object, and claim compensation for harm. Under Your account \u203a My data you can download a copy of your data or ask for its erasure; you may also write to {{email}} or, by KEP, to {{kep_address}}. We answer free of charge within 30 days.
"""

COOKIES_TR = """\
Çerezler, bir internet sitesinin tarayıcınıza kaydettiği küçük metin dosyalarıdır. Moda Ev yalnızca sitenin çalışması için **zorunlu** çerezleri kullanır; bu çerezler için onay gerekmez. Reklam, analiz, sosyal medya ya da başka bir amaçla çerez kullanmıyoruz ve bilgilerinizi üçüncü taraflarla çerez yoluyla paylaşmıyoruz.

## Kullandığımız çerezler
- **sessionid** — oturumunuz: sepetiniz ve giriş yaptıysanız hesabınız. 2 hafta; çıkış yaptığınızda silinir.
- **csrftoken** — formlarınızın sizin tarafınızdan gönderildiğini doğrular (siteler arası istek sahteciliğine karşı koruma). 1 yıl.
- **django_language** — seçtiğiniz dil (Türkçe ya da English). Tarayıcı oturumu boyunca.
- **cookie_notice** — bu çerez bildirimini okuduğunuzu hatırlar, böylece her sayfada yeniden göstermeyiz. 1 yıl.

## Çerezleri nasıl yönetirim?
Tarayıcınızın ayarlarından çerezleri silebilir ya da engelleyebilirsiniz. Zorunlu çerezleri engellerseniz sepetiniz hatırlanmaz ve ödeme yapamazsınız.

İleride zorunlu olmayan bir çerez kullanmaya karar verirsek, önce bu sayfayı güncelleyecek ve o çerezi ancak sizin onayınızla kullanacağız.

Sorularınız için: {{email}}
"""

COOKIES_EN = """\
Cookies are small text files a website stores in your browser. Moda Ev uses only the cookies **essential** for the site to work; they need no consent. We use no advertising, analytics or social-media cookies, and share nothing about you with third parties through cookies.

## The cookies we use
- **sessionid** — your session: your cart and, once you sign in, your account. 2 weeks; deleted when you sign out.
- **csrftoken** — confirms that a form was sent by you (protection against cross-site request forgery). 1 year.
- **django_language** — the language you chose (Türkçe or English). For the browser session.
- **cookie_notice** — remembers that you read this cookie notice, so it is not shown on every page. 1 year.

## Managing cookies
You can delete or block cookies in your browser's settings. If you block the essential ones, your cart is not remembered and you cannot pay.

Should we ever decide to use a cookie that is not essential, we will update this page first and use that cookie only with your consent.

Questions: {{email}}
"""

ABOUT_TR = """\
Moda Ev, 2009'da Kadıköy'de küçük bir ev tekstili dükkânı olarak açıldı. Bugün İstanbul, Ankara ve İzmir'deki mağazalarımızda ve internette kadın ve erkek giyimi, ev tekstili ve dekorasyon ürünleri sunuyoruz. Ürünlerimizin çoğu Denizli, Bursa ve Uşak'taki üreticilerle birlikte tasarlanıp üretiliyor.

## Mağazalarımız
- **Kadıköy:** Caferağa Mah. Moda Cad. No: 42/1, Kadıköy / İstanbul
- **Kızılay:** Kızılay Mah. Atatürk Bulvarı No: 101, Çankaya / Ankara
- **Alsancak:** Alsancak Mah. Kıbrıs Şehitleri Cad. No: 58, Konak / İzmir

Mağazalarımız her gün 10.00\u201321.00 arası açıktır.

## Bize ulaşın
Müşteri hizmetleri hafta içi 09.00\u201318.00 arası {{phone}} numarasında; e-postalarınızı ({{email}}) en geç bir iş günü içinde yanıtlıyoruz.

{{legal_name}}
{{address}} {{city}}
"""

ABOUT_EN = """\
Moda Ev opened in 2009 as a small home-textiles shop in Kadıköy. Today our stores in Istanbul, Ankara and İzmir and our web shop sell women's and men's clothing, home textiles and decoration. Most of what we sell is designed and made with producers in Denizli, Bursa and Uşak.

## Our stores
- **Kadıköy:** Caferağa Mah. Moda Cad. No: 42/1, Kadıköy / İstanbul
- **Kızılay:** Kızılay Mah. Atatürk Bulvarı No: 101, Çankaya / Ankara
- **Alsancak:** Alsancak Mah. Kıbrıs Şehitleri Cad. No: 58, Konak / İzmir

Our stores are open every day from 10:00 to 21:00.

## Contact us
Customer service answers on {{phone}} on weekdays from 09:00 to 18:00; we reply to e-mails ({{email}}) within one working day.

{{legal_name}}
{{address}} {{city}}
"""

# slug (the address, fixed: the footer, the checkout and e-mails link to it), titles, bodies.
PAGES = [
    ("iade-ve-degisim", "İade ve Değişim", "Returns and exchanges", RETURNS_TR, RETURNS_EN),
    ("teslimat", "Teslimat Bilgileri", "Delivery information", DELIVERY_TR, DELIVERY_EN),
    (
        "kvkk-aydinlatma-metni",
        "KVKK Aydınlatma Metni",
        "Privacy notice (KVKK)",
        PRIVACY_TR,
        PRIVACY_EN,
    ),
    ("cerez-politikasi", "Çerez Politikası", "Cookie policy", COOKIES_TR, COOKIES_EN),
    ("hakkimizda", "Hakkımızda ve İletişim", "About us and contact", ABOUT_TR, ABOUT_EN),
]


def seed_pages() -> int:
    """The pages not there yet (a merchant's edits are kept): how many were added."""
    added = 0
    for order, (slug, title_tr, title_en, body_tr, body_en) in enumerate(PAGES):
        _page, created = ShopPage.objects.get_or_create(
            slug=slug,
            defaults={
                "title_tr": title_tr,
                "title_en": title_en,
                "body_tr": body_tr,
                "body_en": body_en,
                "sort_order": order * 10,
            },
        )
        added += created
    return added


def seed_demo(run: DemoRun) -> None:
    added = seed_pages()
    run.write(f"Shop pages: {added} added ({len(PAGES)} in the footer)")
