from django.db import migrations

# Defaults from DOMAIN.md's rules (arrival 45 min and restoration 3 h after arrival in the
# city; metering and new connections 5 working days; complaints: contact in 1 working day,
# reply in 7). An administrator changes them in the admin.
M, W = "minutes", "working_days"
CATEGORIES = [
    # code, name, English name, kind, routing, accept, arrive, resolve, documents, residents
    ("fault_behind_meter", "表后故障报修", "Fault behind the meter (household wiring)", "fault",
     "electrician", (15, M), (45, M), (225, M), "", True),
    ("fault_before_meter", "表前及公共设施故障报修", "Fault before the meter or in public equipment",
     "fault", "customer_manager", (15, M), (45, M), (225, M), "", True),
    ("outage_enquiry", "停电咨询", "Outage enquiry", "enquiry", "customer_manager",
     (30, M), None, (240, M), "", True),
    ("billing_enquiry", "电费及缴费咨询", "Bill and payment enquiry", "enquiry", "customer_manager",
     (120, M), None, (1, W), "", True),
    ("metering_dispute", "计量异议", "Metering dispute", "metering", "customer_manager",
     (1, W), None, (5, W), "户主身份证件\n近期电费账单或户号", True),
    ("business_new", "低压新装", "New low-voltage connection", "business", "customer_manager",
     (1, W), None, (5, W), "户主身份证件\n不动产权证书或购房合同\n用电地址及所需容量", True),
    ("business_capacity", "低压增容", "Capacity increase", "business", "customer_manager",
     (1, W), None, (5, W), "户主身份证件\n户号\n不动产权证书或购房合同", True),
    ("business_transfer", "更名过户", "Change of account holder", "business", "customer_manager",
     (1, W), None, (5, W), "新户主身份证件\n不动产权证书\n原户号电费结清凭证", True),
    ("business_relocate", "移表", "Meter relocation", "business", "customer_manager",
     (1, W), None, (5, W), "户主身份证件\n户号\n物业同意移表的证明", True),
    ("hazard", "安全隐患报告", "Safety hazard report", "hazard", "customer_manager",
     (60, M), (1440, M), (3, W), "", True),
    ("complaint", "投诉", "Complaint", "complaint", "customer_manager",
     (1, W), None, (7, W), "", True),
    ("suggestion", "意见建议及表扬", "Suggestion or praise", "suggestion", "customer_manager",
     (1, W), None, (7, W), "", True),
    ("meter_data_check", "线损及采集核查", "Line-loss or meter-reading check", "check",
     "customer_manager", (1, W), None, (5, W), "", False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("workorders", "Category")
    for order, (code, name, name_en, kind, routing, accept, arrive, resolve, docs, residents) in (
        enumerate(CATEGORIES)
    ):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "routing": routing,
                "accept_target": accept[0],
                "accept_unit": accept[1],
                "arrive_target": arrive[0] if arrive else None,
                "arrive_unit": arrive[1] if arrive else M,
                "resolve_target": resolve[0],
                "resolve_unit": resolve[1],
                "required_documents": docs,
                "resident_may_report": residents,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial"), ("core", "0003_service_rule_defaults")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
