"""The demo city's power knowledge: a dozen articles across the six categories (the city's,
the district's and manager1's compounds'), two scheduled, a draft of manager1's, four
city-wide seasonal reminders and one of manager1's, a few covers drawn here, and some reads
and votes. Made once (by title) through the services writers use; reminders due today are
published as the periodic task would."""

from __future__ import annotations

import datetime
import io

from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from wudian.accounts.models import User
from wudian.core.photos import PhotoUpload, photo_from_bytes
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import MANAGER1_COMPOUNDS
from wudian.grid.models import Compound, District
from wudian.knowledge import services
from wudian.knowledge.models import Article, ArticleVote, Reach, SeasonalReminder

CITY, DISTRICT, MANAGER1 = "city", "district", "manager1"

# title, category, who writes it for whom, cover colour (or ""), summary, text
ARTICLES: list[tuple[str, str, str, str, str, str]] = [
    (
        "阶梯电价怎么算？一张表看懂",
        "tariff",
        CITY,
        "#1d4ed8",
        "居民生活用电按年用电量分三档，用得越多，超出部分的电价越高。",
        "## 三个档位\n\n"
        "一户一表的居民用户，按一个自然年的累计用电量分档计价（以下为示例电价，以省物价部门文件为准）：\n\n"
        "- 第一档：年用电量2160千瓦时及以内，0.5653元/千瓦时\n"
        "- 第二档：2161～4200千瓦时的部分，0.6153元/千瓦时\n"
        "- 第三档：超过4200千瓦时的部分，0.8653元/千瓦时\n\n"
        "## 算一算\n\n"
        "某户全年用电3000千瓦时：2160×0.5653＋840×0.6153＝1221.05＋516.85＝1737.90元。\n\n"
        "年度累计从每年1月抄表结算周期开始计算，年底清零。家中人口多的可到营业厅申请增加基数。",
    ),
    (
        "夏季空调省电的六个小窍门",
        "saving",
        CITY,
        "#0e7490",
        "空调温度调高1℃，可省电约7%。26℃既舒适又省电。",
        "盛夏用电高峰，空调是家里的用电大户。记住这几条，电费能省下不少：\n\n"
        "- 温度设在26℃左右，每调高1℃约省电7%\n"
        "- 出门前半小时关空调，室内凉意还能保持一阵\n"
        "- 定期清洗过滤网，脏堵会让耗电增加10%以上\n"
        "- 配合电风扇使用，冷气流动快，体感更凉爽\n"
        "- 拉上窗帘遮挡西晒，减少屋内得热\n"
        "- 不要频繁开关，变频空调长时间低频运行更省电",
    ),
    (
        "电动自行车不要飞线充电",
        "safe_use",
        MANAGER1,
        "#b91c1c",
        "楼道、室内飞线充电极易引发火灾，请到小区集中充电点充电。",
        "近年来电动自行车充电引发的火灾屡有发生，多数发生在夜间充电、无人看管时。\n\n"
        "## 请不要这样做\n\n"
        "- 从窗户、阳台拉电线到楼下充电\n"
        "- 在楼道、门厅、楼梯间停放或充电\n"
        "- 把电池带回家中过夜充电\n\n"
        "## 正确做法\n\n"
        "到小区集中充电桩扫码充电，充满后及时断电；电池鼓包、发热要及时更换。"
        "发现飞线充电，可告诉物业或在沟通圈里反映。",
    ),
    (
        "雷雨天气安全用电提示",
        "safe_use",
        CITY,
        "",
        "打雷时尽量不用电器，拔掉电视、电脑等电源插头，远离电线杆和变压器。",
        "雷雨季节，请注意以下几点：\n\n"
        "- 雷雨时关闭并拔掉电视、电脑、路由器的电源和信号线\n"
        "- 不要在大树下、电线杆旁、变压器附近避雨\n"
        "- 发现电线断落，远离断线点8米以外，立即拨打95598\n"
        "- 家中进水时，先拉下总闸再处理，不要带电操作",
    ),
    (
        "智能电表计费说明",
        "smart_meter",
        CITY,
        "#047857",
        "智能电表每天自动抄表、实时结算，余额不足会提前提醒。",
        "## 智能电表是怎么计费的\n\n"
        "智能电表通过用电信息采集系统每天自动抄表，电费按阶梯电价和峰谷电价（已申请的用户）实时结算。\n\n"
        "## 常见疑问\n\n"
        "- 电表跑得快吗？智能电表出厂和安装前都经过法定计量检定，误差在允许范围内\n"
        "- 怀疑电表不准怎么办？可申请校验，结果5个工作日内答复\n"
        "- 余额不足会怎样？系统会通过短信、网上国网提醒，请及时缴费",
    ),
    (
        "如何在网上国网缴费",
        "payment",
        CITY,
        "",
        "下载“网上国网”App，绑定户号后即可随时缴费、查电费。",
        "## 四步缴费\n\n"
        "- 在应用商店搜索下载“网上国网”\n"
        "- 注册并登录，选择“绑定户号”，输入户号和户主信息\n"
        "- 首页点“交电费”，输入金额并选择支付方式\n"
        "- 缴费成功后可查看电子发票\n\n"
        "户号可在电费单、缴费凭证或电表箱上的标签中找到。老人不会用手机的，可请家人代为绑定，"
        "或到小区物电联络站请工作人员帮忙。",
    ),
    (
        "电费余额不足提醒与停电复电",
        "payment",
        DISTRICT,
        "",
        "欠费停电前会多次提醒；缴清电费后24小时内恢复供电。",
        "按照供电服务规定，居民电费逾期未缴，供电公司会通过短信、上门等方式多次提醒，"
        "停电前至少提前7天通知。\n\n缴清欠费和违约金后，将在24小时内恢复供电。"
        "家中有老人、病人等特殊情况的，请告知客户经理。",
    ),
    (
        "峰谷分时电价适合哪些家庭",
        "tariff",
        CITY,
        "",
        "夜间用电多的家庭（如电动汽车充电）申请峰谷电价更划算。",
        "峰谷分时电价把一天分为高峰和低谷两个时段，低谷电价明显低于高峰。\n\n"
        "- 适合：夜间给电动汽车充电、使用蓄热式电器的家庭\n"
        "- 不一定划算：白天家里有人、用电集中在白天的家庭\n\n"
        "可在网上国网或营业厅申请，一年内可变更一次。",
    ),
    (
        "保护电力设施，人人有责",
        "facilities",
        DISTRICT,
        "#7c3aed",
        "不在电力线路下放风筝、钓鱼、堆物，不攀爬变压器和电杆。",
        "电力设施受法律保护。以下行为既危险又违法：\n\n"
        "- 在架空电力线路附近放风筝、钓鱼、使用无人机\n"
        "- 在电缆通道上方挖土、堆放杂物\n"
        "- 攀爬电杆、变压器台架，损坏配电箱门锁\n"
        "- 私拉乱接、窃电\n\n"
        "发现电力设施被破坏或存在隐患，请拨打95598或告诉小区物业电工。",
    ),
    (
        "小区配电房为什么要上锁",
        "facilities",
        MANAGER1,
        "",
        "配电房内有高压设备，非专业人员进入有触电危险。",
        "小区配电房内有10千伏高压设备，只有持证电工和供电公司人员才能进入。\n\n"
        "请不要在配电房门口堆放杂物、停放车辆，保持消防通道畅通。发现门锁损坏、异响、异味，"
        "请及时告诉物业电工或客户经理。",
    ),
    (
        "冬季电暖器使用注意事项",
        "safe_use",
        CITY,
        "",
        "电暖器功率大，不要和其他大功率电器共用一个插排。",
        "- 电暖器要直接插在墙壁插座上，不用插排\n"
        "- 不要在电暖器上烘烤衣物\n"
        "- 离开家或睡觉前关闭电源\n"
        "- 老旧线路负荷有限，同时开多台大功率电器容易跳闸甚至起火",
    ),
    (
        "家里跳闸了怎么办",
        "safe_use",
        MANAGER1,
        "",
        "先看是全楼停电还是只有自己家，再按步骤排查。",
        "## 先判断范围\n\n"
        "看看邻居家有没有电。全楼都停，可能是线路故障或计划停电，请关注停电通知或拨打95598。\n\n"
        "## 只有自己家\n\n"
        "- 拔掉最近插上的大功率电器，再合上总闸\n"
        "- 反复跳闸，说明线路或电器漏电，请联系小区物业电工上门检查\n"
        "- 表后线路属于自家线路，由物业电工维修；表前设备由供电公司负责",
    ),
    (
        "电费是怎么算的",
        "smart_meter",
        CITY,
        "#b45309",
        "从电表示数到电费：月电量、阶梯、峰谷，一步一步算清楚。",
        "## 第一步：月电量\n\n"
        "采集系统每天零点读一次电能表示数。月电量＝下月1日的示数－本月1日的示数；"
        "日电量＝次日示数－当日示数。\n\n"
        "## 第二步：阶梯\n\n"
        "按一个自然年的累计用电量分档：累计到2160千瓦时以内按第一档电价，"
        "超过的部分按第二档、第三档电价（示例电价，以省物价部门文件为准）。"
        "跨档的那个月，电量会拆成两部分分别计价。\n\n"
        "## 第三步：峰谷\n\n"
        "申请了峰谷电价的用户，峰时段和谷时段的电量分别按峰、谷电价计算；"
        "进入第二、三档的电量，再加上该档与第一档的电价差（阶梯加价）。\n\n"
        "## 查看自家的明细\n\n"
        "登录后打开“我家电费怎么算”，可以看到每个月的电量在各档的分布、哪个月跨了档、"
        "峰谷电费和不分峰谷相比的差别，以及与去年同月的对比。",
    ),
]

# Scheduled: (title, category, days ahead, summary, text), the city's.
SCHEDULED = [
    (
        "新版居民阶梯电价执行说明",
        "tariff",
        3,
        "下月起执行新的阶梯电价档位，一文读懂变化。",
        "根据省发展改革委文件，下月1日起居民阶梯电价档位调整。具体电价以正式文件为准，"
        "我们将在沟通圈中同步解读。",
    ),
    (
        "元旦假期用电安全提醒",
        "safe_use",
        10,
        "假期外出前关闭电器电源，检查家中用电安全。",
        "- 外出前关闭电器电源、拉下总闸\n- 家中老人使用电暖器时注意看护\n- 遇停电请拨打95598",
    ),
]

# A draft manager1 is still writing, for their compounds.
DRAFT = (
    "小区电动汽车充电桩报装流程",
    "payment",
    "想在自家车位装充电桩？准备好这些材料，供电公司上门勘察。",
    "## 需要准备\n\n- 身份证、车位产权或长期租赁证明\n- 物业出具的同意安装证明\n\n"
    "## 办理流程\n\n网上国网提交申请 → 客户经理上门勘察 → 安装验收 → 通电使用。",
)

# Seasonal reminders: title, category, month, day (None: before the Spring Festival),
# days before, window, summary, text.
REMINDERS = [
    (
        "迎峰度夏：科学用电、错峰用电",
        "saving",
        6,
        15,
        0,
        14,
        "夏季用电高峰来临，请避开晚间高峰使用大功率电器。",
        "每年6月中旬起进入迎峰度夏期。晚上7点到10点是用电高峰，洗衣机、热水器可错开使用；"
        "空调温度不低于26℃。",
    ),
    (
        "雷雨季节来临，注意用电安全",
        "safe_use",
        4,
        1,
        0,
        14,
        "雷雨天拔掉电器插头，远离断落的电线。",
        "- 雷雨时拔掉电视、电脑电源\n- 发现电线断落，远离8米以外并拨打95598\n- 家中进水先拉总闸",
    ),
    (
        "冬季取暖用电安全提醒",
        "safe_use",
        11,
        15,
        0,
        30,
        "取暖季大功率电器多，注意线路负荷，不要私拉乱接。",
        "取暖季电暖器、电热毯使用频繁。请直接使用墙壁插座，不要多台大功率电器共用插排，"
        "睡前关闭电热毯电源。",
    ),
    (
        "春节期间安全用电",
        "safe_use",
        None,
        None,
        7,
        14,
        "春节将至，外出前关好电器，燃放烟花远离电力线路。",
        "- 外出走亲访友前，关闭电器电源\n- 燃放烟花爆竹远离电力线路和变压器\n"
        "- 节日期间遇停电请拨打95598，抢修人员24小时值守",
    ),
]


# manager1's own reminder, for their compounds: the rainy season's flooding.
MANAGER_REMINDER = (
    "汛期来临：配电房防水防潮提醒",
    "facilities",
    6,
    1,
    "汛期请物业检查配电房门口挡水板和排水设施。",
    "- 配电房门口挡水板放置到位\n- 地下配电房检查排水泵\n"
    "- 发现配电房进水，立即远离并拨打95598，不要自行处理",
)


def _cover(colour: str) -> PhotoUpload:
    """A simple drawn cover: a field of colour with a lightning bolt."""
    image = Image.new("RGB", (960, 540), colour)
    draw = ImageDraw.Draw(image)
    bolt = [(520, 70), (400, 290), (480, 290), (430, 470), (590, 230), (505, 230)]
    draw.polygon(bolt, fill="#facc15")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return photo_from_bytes(out.getvalue(), name="cover.png")


def _target(kind: str, district: District, manager_compounds: list[Compound]) -> services.Target:
    if kind == DISTRICT:
        return services.Target(reach=Reach.DISTRICT, district=district)
    if kind == MANAGER1:
        return services.Target(reach=Reach.COMPOUNDS, compounds=tuple(manager_compounds))
    return services.Target(reach=Reach.ALL)


def knowledge_seed(summary: DemoSummary) -> None:
    """Create what is missing of the demo's knowledge."""
    users = User.objects.in_bulk(
        ["admin", "manager1", "supervisor1", "resident1", "resident2"], field_name="username"
    )
    writers = {CITY: users["admin"], DISTRICT: users["supervisor1"], MANAGER1: users["manager1"]}
    first = (
        Compound.objects.filter(code__in=MANAGER1_COMPOUNDS)
        .select_related("community__street__district")
        .first()
    )
    if first is None:
        return
    the_district = first.community.street.district
    compounds = list(Compound.objects.filter(code__in=MANAGER1_COMPOUNDS[:4]))
    existing = set(Article.objects.values_list("title", flat=True))
    now = timezone.now()
    made: list[Article] = []
    for index, (title, category, kind, colour, lead, body) in enumerate(ARTICLES):
        if title in existing:
            continue
        content = services.Content(
            title=title,
            summary=lead,
            body=body,
            category=category,
            target=_target(kind, the_district, compounds),
        )
        at = now - datetime.timedelta(days=len(ARTICLES) - index, hours=index)
        article = services.article_create(
            by=writers[kind], content=content, cover=_cover(colour) if colour else None, now=at
        )
        made.append(services.article_publish(article=article, by=writers[kind], now=at))
    for title, category, days, lead, body in SCHEDULED:
        if title in existing:
            continue
        article = services.article_create(
            by=writers[CITY],
            content=services.Content(title=title, summary=lead, body=body, category=category),
            publish_at=now + datetime.timedelta(days=days),
        )
        services.article_publish(article=article, by=writers[CITY])
        summary.created[Article.__name__] += 1
    summary.created[Article.__name__] += len(made)
    title, category, lead, body = DRAFT
    if title not in existing:
        services.article_create(
            by=writers[MANAGER1],
            content=services.Content(
                title=title,
                summary=lead,
                body=body,
                category=category,
                target=_target(MANAGER1, the_district, compounds),
            ),
        )
    _reads_and_votes(made, users)
    known = set(SeasonalReminder.objects.values_list("title", flat=True))
    for title, category, month, day, before, window, lead, body in REMINDERS:
        if title in known:
            continue
        anchor = SeasonalReminder.Anchor.FIXED if month else SeasonalReminder.Anchor.SPRING_FESTIVAL
        reminder = services.reminder_create(
            by=writers[CITY],
            content=services.Content(title=title, summary=lead, body=body, category=category),
            season=services.Season(
                anchor=anchor, month=month, day=day, days_before=before, window_days=window
            ),
        )
        if anchor == SeasonalReminder.Anchor.SPRING_FESTIVAL:
            # The official calendar of 2027 is not out yet: staff set its date by hand
            # (Spring Festival 2027 falls on 6 February).
            services.reminder_set_date(
                reminder=reminder, by=writers[CITY], year=2027, date=datetime.date(2027, 1, 30)
            )
        summary.created[SeasonalReminder.__name__] += 1
    title, category, month, day, lead, body = MANAGER_REMINDER
    if title not in known:
        services.reminder_create(
            by=writers[MANAGER1],
            content=services.Content(
                title=title,
                summary=lead,
                body=body,
                category=category,
                target=_target(MANAGER1, the_district, compounds),
            ),
            season=services.Season(month=month, day=day),
        )
    summary.created[Article.__name__] += len(services.reminders_publish_due())


def _reads_and_votes(articles: list[Article], users: dict[str, User]) -> None:
    """Reads as if residents had opened them over the last days, and two residents' votes."""
    for index, article in enumerate(articles):
        Article.objects.filter(pk=article.pk).update(views=F("views") + 37 + (index * 53) % 240)
        for username, useful in (("resident1", True), ("resident2", index % 4 != 1)):
            if not ArticleVote.objects.filter(article=article, user=users[username]).exists():
                services.article_vote(
                    article=article,
                    voter=f"u{users[username].pk}",
                    useful=useful,
                    user=users[username],
                )
        Article.objects.filter(pk=article.pk).update(
            useful_yes=F("useful_yes") + (index * 7) % 19 + 3, useful_no=F("useful_no") + index % 3
        )
