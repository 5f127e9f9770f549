"""The role duty catalogue ("one list", 一份清单) as data: the seven roles of DOMAIN.md with
their duties in Chinese and English, drawn from section 2.1 of the source article.

The catalogue is editable in the admin afterwards, so this migration never overwrites what
is there: a role that exists keeps its names and summary (only blank fields are filled), and
duties are written only for a role that has none. Reversing it leaves the data alone.
"""

from django.db import migrations

# (code, order, name, name_en, summary, summary_en, [(duty, duty_en), ...])
CATALOGUE = [
    (
        "customer_manager",
        1,
        "网格化供电客户经理",
        "Grid customer manager",
        "供电公司派驻网格的客户经理，按“1+N”模式对接一个或多个小区，与小区物业电工、社区网格化"
        "管理员共建物电联络站，是居民用电诉求的首问责任人，让居民涉电业务“一次都不跑”。",
        "The power utility's customer manager for a grid cell. Serves one or more compounds "
        '(the "1 + N" model) together with their property electricians and the community grid '
        "administrator, and is first responsible for every resident's power request, so that "
        "residents never have to make a trip to the service hall.",
        [
            (
                "定期联动小区物业，每月物电联动日到小区现场服务",
                "Work regularly with the compound's property management and serve on site on each monthly link day",
            ),
            (
                "及时发布停电信息（计划停电至少提前7天）",
                "Publish outage notices in time (planned outages at least 7 days ahead)",
            ),
            (
                "解决客户用电问题，负责“表前”设备和物业电工处理不了的疑难故障",
                'Solve customers\' power problems: "before the meter" equipment and the hard faults a property electrician cannot fix',
            ),
            (
                "定期巡检小区设备，每月会同物业电工联合巡视、整改缺陷",
                "Inspect the compound's equipment regularly: a monthly joint patrol with the property electrician, with defects put right",
            ),
            (
                "对“老弱病残孕”等重点人群实施上门差别化服务",
                "Give differentiated home service to the elderly, frail, sick, disabled and pregnant",
            ),
            (
                "推广发布用电信息：安全用电、节约用电、电价政策、智能缴费、电力设施保护",
                "Publish power information: safe use, saving power, tariff policy, smart payment, protecting power facilities",
            ),
            (
                "落实客户首问负责，居民的诉求一管到底",
                "Be first responsible for a customer's request and follow it through to the end",
            ),
            (
                "受理低压用电业务（新装、增容、过户等）",
                "Accept low-voltage business applications (new connection, capacity change, change of name)",
            ),
            (
                "对用电计量有异议的客户，协助进行用电分析",
                "Help customers who dispute their metering with an analysis of their usage",
            ),
        ],
    ),
    (
        "electrician",
        2,
        "小区物业电工",
        "Property electrician",
        "物业公司的电工。经电工技术培训考核合格并取得低压电工作业证后，处理小区内技术要求相对较低的"
        "“表后”故障，把好居民用电“第一关”；遇到疑难故障及时联系网格化供电客户经理。",
        "An electrician employed by the property company. Once trained and holding a valid "
        'low-voltage operation certificate, fixes the simpler "behind the meter" faults in the '
        "compound as the residents' first line of help, and calls the grid customer manager for "
        "hard faults.",
        [
            (
                "收集居民用电诉求，第一时间反馈给网格化供电客户经理",
                "Collect residents' power needs and pass them on to the grid customer manager at once",
            ),
            (
                "实时转发停电、缴费等用电信息",
                "Relay outage, payment and other power information as it comes",
            ),
            (
                "持有效低压电工作业证解决简单用电问题（“表后”故障），疑难故障转交客户经理",
                'With a valid low-voltage operation certificate, fix simple "behind the meter" faults; hand hard faults to the customer manager',
            ),
            ("提供催费提醒服务", "Remind residents to pay their power bills"),
            (
                "定期巡检小区设备，每月会同客户经理联合巡视",
                "Inspect the compound's equipment regularly, with a monthly joint patrol with the customer manager",
            ),
            (
                "记录居民反映的用电问题，跟踪到解决",
                "Record the power problems residents report and follow them until they are solved",
            ),
        ],
    ),
    (
        "grid_admin",
        3,
        "社区网格化管理员",
        "Community grid administrator",
        "街道、社区的网格化管理员，负责一个或多个社区网格，与供电公司、物业公司共建物电联络站，"
        "把社情民意、矛盾调解和文明创建工作与电力服务结合起来。",
        "The street or community office's grid administrator for one or more community grid "
        "cells. Runs the liaison station together with the power utility and the property "
        "company, joining residents' opinions, dispute settlement and civic campaigns with power "
        "service.",
        [
            (
                "调研社情民意，定期对居民进行民意走访",
                "Learn residents' opinions and visit residents regularly",
            ),
            (
                "化解矛盾纠纷，维护居民合法权益",
                "Settle disputes and protect residents' lawful rights",
            ),
            (
                "解说政策法规，定期发送文明创建信息和市民公约",
                "Explain policies and laws; post civic-campaign news and the citizens' convention regularly",
            ),
            (
                "服务居民群众，协同对“老弱病残孕”等重点人群上门服务",
                "Serve residents and join the home service for the elderly, frail, sick, disabled and pregnant",
            ),
            (
                "传播先进文化，组织社区教育、志愿服务、互助服务等活动",
                "Spread good culture: organise community education, volunteer work and mutual help",
            ),
        ],
    ),
    (
        "property_staff",
        4,
        "物业管理人员",
        "Property office staff",
        "物业公司办公室人员。利用物业全天候值班的条件，按客户地址和户号协助供电公司上门温馨提示缴费，"
        "并转发停电通知等用电信息，避免业主因忘记缴费而停电。",
        "Staff of the property company's office. With the property's round-the-clock duty desk "
        "they help the power utility remind owners to pay, door to door by address and account "
        "number, and relay outage notices, so that no one loses power for forgetting to pay.",
        [
            (
                "按客户地址和户号上门温馨提示业主及时缴纳电费",
                "Remind owners door to door, by address and account number, to pay their power bill in time",
            ),
            (
                "转发停电通知等用电信息，及时更新小区宣传栏的“电力服务社区之窗”",
                "Relay outage notices and other power information; keep the power service window on the compound's bulletin board up to date",
            ),
            (
                "利用全天候值班做好用电宣传",
                "Use the round-the-clock duty desk to spread power information",
            ),
            (
                "协助核实居民的联系方式和户号信息",
                "Help keep residents' contact details and account numbers correct",
            ),
        ],
    ),
    (
        "resident",
        5,
        "居民客户",
        "Resident",
        "小区居民，关联一个或多个户号。足不出户即可报修、办理用电业务、接收停电通知和缴费提醒，"
        "涉电业务“一次都不跑”。",
        "A resident of a compound, linked to one or more household accounts. Reports faults, "
        "applies for power business and receives outage notices and payment reminders without "
        "leaving the compound.",
        [
            ("报告用电故障和用电需求", "Report power faults and needs"),
            (
                "接收停电通知和缴费提醒，按时缴纳电费",
                "Receive outage notices and payment reminders, and pay the bill on time",
            ),
            ("参与问卷调查和物电联动日活动", "Answer surveys and take part in link-day activities"),
            ("评价所获得的服务", "Rate the service received"),
            ("安全用电，爱护电力设施", "Use power safely and look after power facilities"),
        ],
    ),
    (
        "department",
        6,
        "供电公司专业部门",
        "Utility department",
        "供电公司的后台专业班组，如抢修班、营业厅、计量中心，按照“一个部门牵头、多部门联手”的方式"
        "承接客户经理升级的工作。",
        "The power utility's back-office teams, such as the repair crew, the business hall and "
        "the metering centre. They take the work a customer manager escalates: one department "
        "leads and the others cooperate.",
        [
            (
                "承接升级的工单，一个部门牵头、多部门联手服务",
                "Take escalated work orders: one department leads, the others cooperate",
            ),
            (
                "抢修班按承诺时限到达现场、恢复供电",
                "Repair crew: reach the site and restore supply within the committed times",
            ),
            (
                "营业厅办理低压用电业务，新装接电全过程不超过5个工作日",
                "Business hall: handle low-voltage business; a residential new connection takes at most 5 working days",
            ),
            (
                "计量中心处理计量异议和电能表校验，5个工作日内答复",
                "Metering centre: handle metering disputes and meter tests, answering within 5 working days",
            ),
        ],
    ),
    (
        "supervisor",
        7,
        "服务管理人员",
        "Service supervisor",
        "区、市供电服务管理人员，负责所辖区域物电联络站的运行质量，通过看板、风险预警和目标管理"
        "推动服务改进。",
        "The district or city service managers. They answer for how well the liaison stations of "
        "their area work, and drive improvement through dashboards, risk alerts and targets.",
        [
            (
                "查看服务看板：受理、到达、办结时间和满意度",
                "Watch the service dashboards: acceptance, arrival and resolution times, satisfaction",
            ),
            (
                "关注风险预警：超时工单、投诉、台区线损异常",
                "Follow risk alerts: overdue work orders, complaints, abnormal station-area line loss",
            ),
            (
                "设定并跟踪目标：同类投诉同比下降、线上办电率、采集成功率、台区同期线损",
                "Set and track targets: same-kind complaints down year on year, online application rate, collection success rate, station-area line loss",
            ),
            (
                "组织物电联动日和物业电工培训考核",
                "Organise link days and the training and certification of property electricians",
            ),
        ],
    ),
]


def load_catalogue(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Duty = apps.get_model("accounts", "Duty")
    for code, order, name, name_en, summary, summary_en, duties in CATALOGUE:
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "summary": summary,
                "summary_en": summary_en,
                "order": order,
            },
        )
        if not created:
            blanks = {
                field: value
                for field, value in [
                    ("name", name),
                    ("name_en", name_en),
                    ("summary", summary),
                    ("summary_en", summary_en),
                ]
                if not getattr(role, field)
            }
            for field, value in blanks.items():
                setattr(role, field, value)
            if blanks:
                role.save(update_fields=list(blanks))
        if not Duty.objects.filter(role=role).exists():
            Duty.objects.bulk_create(
                Duty(role=role, text=text, text_en=text_en, order=index)
                for index, (text, text_en) in enumerate(duties, start=1)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(load_catalogue, migrations.RunPython.noop),
    ]
