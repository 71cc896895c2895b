"""Text of the web pages in English and Chinese: the report's labels plus the pages' own.

:func:`page_labels` extends :func:`evgrid.report.labels.labels_for` (tables and figures keep the
report's words); Chinese uses the report's own terms (车位配桩率, 配变容量, 常规负荷最大值,
老旧小区, 次新小区, 新建小区, 有序充电, 无序充电, 增容改造).
"""

from __future__ import annotations

from evgrid.report.labels import LANGUAGES, Labels, labels_for

WEB: dict[str, Labels] = {
    "en": {
        "app": "evgrid",
        "tagline": "How many charging piles can this transformer host?",
        "nav_site": "Site",
        "nav_city": "City",
        "nav_reproduce": "Report reproduction",
        "nav_incentives": "Incentives",
        "incentives_title": "What incentives and V2G buy at a site",
        "incentives_intro": (
            "A time-of-use tariff, a load aggregator's demand response, carbon credits and, with "
            "V2G, bidirectional piles on the same cars: their peaks, who pays whom over a year "
            "and the V2G day, as a background job (report sections 5.2 and 6)."
        ),
        "case_field": "a case of the report",
        "nav_api": "API",
        "switch": "中文",
        "site_title": "Hosting capacity of one site",
        "site_intro": (
            "Describe a residential community or an office park, or upload its site document "
            "(YAML or JSON), and evgrid computes how many charging piles its transformer can host "
            "under uncontrolled and orderly charging."
        ),
        "describe": "Describe the site",
        "or_upload": "or upload a site document",
        "site_file": "site document (YAML/JSON)",
        "curve_file": "measured load curve (CSV/Excel, 24/96/288/1440 points a day), optional",
        "network_file": (
            "low-voltage network file (evgrid YAML/JSON, power-grid-model or pandapower JSON), "
            "optional"
        ),
        "summary_network": "{strategy}: the network {network} hosts {ratio} (binds first: "
        "{binding}); recommended {recommended}",
        "prefill": "fill in a case of the report",
        "options": "Options",
        "run": "Compute",
        "kind_residential": "residential community",
        "kind_office": "office park",
        "default": "default",
        "yes": "yes",
        "no": "no",
        "method_index": "planning index (report figures 1-2)",
        "method_timeseries": "time series (Monte Carlo)",
        "seed": "seed",
        "days": "Monte Carlo days",
        "criterion": "criterion",
        "limit_field": "limit (pu, °C or day/day)",
        "study_year": "study year",
        "ev_share": "EV share for the daily load [0-1]",
        "more": "transformer details",
        "error": "Error",
        "result_title": "Hosting capacity",
        "summary_pile": (
            "{strategy}: up to {ratio} of the parking spaces ({piles} of {spaces} piles)"
        ),
        "summary_band": "{strategy}: P50 {p50}, P95 {p95} of the parking spaces",
        "daily_title": "Daily load: uncontrolled and orderly charging",
        "daily_intro": (
            "A typical day ({days} Monte Carlo days) with {share} of the parking spaces holding "
            "an EV ({n} cars): regular load, and total load when the cars charge uncontrolled, "
            "by optimal valley filling or by time-of-use price response."
        ),
        "daily_none": "No daily load: {reason}",
        "at_limit": "Daily load at the largest pile ratio (time-series tier)",
        "upgrade_title": "Upgrade year under a scenario",
        "upgrade_intro": (
            "The site through the years of the scenario {scenario} ({description}), as a city "
            "run computes it with the planning-index model: the first year the transformer "
            "fails the loading limit ({limit} pu), and the standard transformer then needed "
            "for the scenario's remaining years."
        ),
        "upgrade_line": ("{strategy}: upgrade in {year}, add {units} × {unit} kVA (now {now} kVA)"),
        "upgrade_none": "{strategy}: no upgrade needed by {last}",
        "upgrade_none_reason": "No upgrade year: {reason}",
        "upgrade_scenario": "scenario of the upgrade year",
        "downloads": "Downloads",
        "download": "download",
        "chart_png": "PNG: the camera button of each chart",
        "result_json": "result (JSON)",
        "new_run": "another site",
        "city_title": "A whole city",
        "city_intro": (
            "Upload a table of sites (CSV, Excel or Parquet; one row per site, the site "
            "document's fields as columns). evgrid runs them as a background job: each site's "
            "upgrade year, size and cost under a scenario, ranked."
        ),
        "city_file": "sites (CSV/Excel/Parquet)",
        "city_curves": "measured load curves named in the table's load_curve column (optional)",
        "city_networks": "low-voltage network files named in the table's network column (optional)",
        "scenario": "scenario",
        "strategies": "strategies",
        "partial": "partial (the scenario's orderly participation by year)",
        "start": "Start",
        "open_summary": "open the summary page",
        "reproduce_title": "The report's case studies",
        "reproduce_intro": (
            "Runs evgrid on the report's communities A, B, C and its two office parks, beside "
            "the report's published numbers, as a background job; the HTML report, the JSON "
            "document and every table are downloadable."
        ),
        "index_only": "planning index only (seconds)",
        "impact_days": "days of the figure 6-7 comparison",
        "job_title": "Job",
        "state": "state",
        "queued": "waiting in the queue",
        "running": "running",
        "done": "done",
        "failed": "failed",
        "cancelled": "cancelled",
        "cancel": "Cancel",
        "remove": "Remove",
        "position": "jobs ahead",
        "jobs": "Recent jobs",
        "login_title": "Access token",
        "login_intro": "This server needs its access token.",
        "login": "Sign in",
        "not_found": "Not found",
        "site_document": "site document",
        "fields": "field",
        "csv": "CSV",
        "html": "HTML",
        "open_report": "open the HTML report",
        "table": "table",
        "chart": "chart",
        "data": "data",
        "footer": (
            "evgrid: every default number, its unit and its source are in the parameter table "
            "(evgrid/data/parameters.csv); the same library answers the command line and the API."
        ),
        "measured": "measured",
        "measured curve": "measured curve",
        "measured peak, assumed valley": "measured peak, assumed valley",
        "planning index": "planning index",
        "planning index (filling up)": "planning index (filling up)",
    },
    "zh": {
        "app": "evgrid",
        "tagline": "这台配变能接入多少充电桩？",
        "nav_site": "单个小区",
        "nav_city": "全市",
        "nav_reproduce": "复现报告",
        "nav_incentives": "激励措施",
        "incentives_title": "激励措施与车网互动（V2G）在一个小区的效果",
        "incentives_intro": (
            "分时电价、负荷聚合商的需求响应、碳积分，以及同一批车辆的 V2G 双向充电桩："
            "负荷峰值、年度资金往来（谁向谁支付）与 V2G 典型日，以后台任务计算"
            "（报告 5.2 与 6 节）。"
        ),
        "case_field": "报告中的案例",
        "nav_api": "API",
        "switch": "English",
        "site_title": "单个小区的配电承载力",
        "site_intro": (
            "填写居民区或办公区的参数，或上传其场地文件（YAML 或 JSON），evgrid 计算在无序充电与"
            "有序充电下配变可接入的充电桩数量。"
        ),
        "describe": "填写小区参数",
        "or_upload": "或上传场地文件",
        "site_file": "场地文件（YAML/JSON）",
        "curve_file": "实测负荷曲线（CSV/Excel，每日 24/96/288/1440 点），可选",
        "network_file": (
            "低压台区文件（evgrid YAML/JSON、power-grid-model 或 pandapower JSON），可选"
        ),
        "summary_network": (
            "{strategy}：台区 {network} 可承载配桩率 {ratio}（最先受限：{binding}）；"
            "推荐 {recommended}"
        ),
        "prefill": "填入报告中的案例",
        "options": "计算选项",
        "run": "计算",
        "kind_residential": "居民区",
        "kind_office": "办公区",
        "default": "默认",
        "yes": "是",
        "no": "否",
        "method_index": "规划指标模型（报告图 1-2）",
        "method_timeseries": "时序模型（蒙特卡洛）",
        "seed": "随机种子",
        "days": "蒙特卡洛天数",
        "criterion": "判据",
        "limit_field": "限值（pu、°C 或 天/天）",
        "study_year": "研究年份",
        "ev_share": "日负荷曲线的电动化率 [0-1]",
        "more": "变压器参数",
        "error": "错误",
        "result_title": "配电承载力",
        "summary_pile": "{strategy}：车位配桩率最高 {ratio}（{spaces} 个车位中 {piles} 个桩）",
        "summary_band": "{strategy}：车位配桩率 P50 {p50}，P95 {p95}",
        "daily_title": "日负荷曲线：无序充电与有序充电",
        "daily_intro": (
            "典型日（{days} 个蒙特卡洛日），{share} 的车位配有电动汽车（{n} 辆）：常规负荷，以及"
            "无序充电、最优填谷和分时电价响应下的总负荷。"
        ),
        "daily_none": "无日负荷曲线：{reason}",
        "at_limit": "最大配桩率处的日负荷曲线（时序模型）",
        "upgrade_title": "情景下的增容改造年份",
        "upgrade_intro": (
            "按情景 {scenario}（{description}）逐年计算该小区（与全市计算相同，规划指标模型）："
            "配变首次超过负载率限值（{limit} pu）的年份，"
            "以及满足情景其余年份所需的标准配变容量。"
        ),
        "upgrade_line": (
            "{strategy}：{year} 年需增容改造，新增 {units} × {unit} kVA（现为 {now} kVA）"
        ),
        "upgrade_none": "{strategy}：{last} 年前无需增容改造",
        "upgrade_none_reason": "无增容改造年份：{reason}",
        "upgrade_scenario": "增容改造年份的情景",
        "downloads": "下载",
        "download": "下载",
        "chart_png": "PNG：各图右上角的相机按钮",
        "result_json": "计算结果（JSON）",
        "new_run": "计算另一个小区",
        "city_title": "全市",
        "city_intro": (
            "上传场地表（CSV、Excel 或 Parquet；每行一个场地，列为场地文件的字段）。evgrid 以后台"
            "任务运行：各场地在情景下的增容改造年份、容量与费用，并排序。"
        ),
        "city_file": "场地表（CSV/Excel/Parquet）",
        "city_curves": "场地表 load_curve 列所列的实测负荷曲线文件（可选）",
        "city_networks": "场地表 network 列所列的低压台区文件（可选）",
        "scenario": "情景",
        "strategies": "充电策略",
        "partial": "部分有序充电（按情景逐年的有序参与率）",
        "start": "开始",
        "open_summary": "打开汇总页面",
        "reproduce_title": "报告的典型案例",
        "reproduce_intro": (
            "以后台任务在报告的小区 A、B、C 与两个办公区上运行 evgrid，并与报告公布的数值对比；"
            "HTML 报告、JSON 文件与各表格均可下载。"
        ),
        "index_only": "仅规划指标模型（数秒）",
        "impact_days": "图 6-7 对比的天数",
        "job_title": "任务",
        "state": "状态",
        "queued": "排队中",
        "running": "运行中",
        "done": "已完成",
        "failed": "失败",
        "cancelled": "已取消",
        "cancel": "取消",
        "remove": "删除",
        "position": "前面的任务",
        "jobs": "最近的任务",
        "login_title": "访问令牌",
        "login_intro": "此服务器需要访问令牌。",
        "login": "登录",
        "not_found": "未找到",
        "site_document": "场地文件",
        "fields": "字段",
        "csv": "CSV",
        "html": "HTML",
        "open_report": "打开 HTML 报告",
        "table": "表格",
        "chart": "图",
        "data": "数据",
        "footer": (
            "evgrid：各默认参数及其单位与来源见参数表（evgrid/data/parameters.csv）；"
            "命令行与 API 使用同一程序库。"
        ),
        "measured": "实测",
        "measured curve": "实测负荷曲线",
        "measured peak, assumed valley": "实测最大值，最小值按比例假定",
        "planning index": "规划指标",
        "planning index (filling up)": "规划指标（入住未饱和）",
    },
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "kind": {"en": "kind", "zh": "类型"},
    "name": {"en": "name", "zh": "名称"},
    "built": {"en": "built (year)", "zh": "建成年份"},
    "type": {"en": "community type", "zh": "小区类别"},
    "households": {"en": "households", "zh": "户数（户）"},
    "parking_spaces": {"en": "parking spaces", "zh": "车位数（个）"},
    "transformer_kva": {"en": "transformer rating [kVA]", "zh": "配变容量 (kVA)"},
    "regular_peak_kw": {"en": "regular peak load [kW]", "zh": "常规负荷最大值 (kW)"},
    "regular_valley_kw": {"en": "regular valley load [kW]", "zh": "常规谷电负荷 (kW)"},
    "floor_area_m2": {"en": "floor area [m²]", "zh": "建筑面积 (m²)"},
    "peak_year": {"en": "year of the peak", "zh": "最大负荷年份"},
    "power_factor": {"en": "power factor", "zh": "功率因数"},
    "cooling": {"en": "cooling (IEC 60076-7)", "zh": "冷却方式（IEC 60076-7）"},
    "paper": {"en": "insulation paper", "zh": "绝缘纸"},
    "ambient_c": {"en": "ambient temperature [°C]", "zh": "环境温度 (°C)"},
    "load_curve": {"en": "measured load curve", "zh": "实测负荷曲线"},
    "province": {"en": "province (its grid's emission factor)", "zh": "所在省份（电网排放因子）"},
    "bus": {"en": "low-voltage bus of parallel units", "zh": "并列配变低压母线"},
    "dc_pile_share": {"en": "share of DC piles", "zh": "直流桩比例"},
    "household_power_factor": {"en": "power factor of the regular load", "zh": "常规负荷功率因数"},
    "ev_power_factor": {"en": "power factor of the piles", "zh": "充电桩功率因数"},
    "climate": {"en": "climate (monthly ambient)", "zh": "气候（月平均气温）"},
    "network": {"en": "low-voltage network", "zh": "低压台区"},
}
"""Labels of the site document's fields (``data/site_fields.csv``) on the form."""

CHOICE_LABELS: dict[str, dict[str, str]] = {
    "old": {"en": "old (built before 2000)", "zh": "老旧小区"},
    "sub-new": {"en": "sub-new", "zh": "次新小区"},
    "new": {"en": "new (built within 5 years)", "zh": "新建小区"},
    "loading": {"en": "loading", "zh": "负载率"},
    "hotspot": {"en": "hot spot (IEC 60076-7)", "zh": "热点温度（IEC 60076-7）"},
    "ageing": {"en": "ageing (IEC 60076-7)", "zh": "绝缘老化（IEC 60076-7）"},
}


def page_labels(lang: str) -> Labels:
    """The report's labels of ``lang`` with the pages' own (``"en"`` or ``"zh"``)."""
    return {**labels_for(lang), **WEB[lang]}


def field_label(name: str, lang: str) -> str:
    """The form label of a site field."""
    return FIELD_LABELS.get(name, {}).get(lang, name)


def choice_label(value: str, lang: str) -> str:
    """The label of a choice (community type, criterion); the value itself if none."""
    return CHOICE_LABELS.get(value, {}).get(lang) or labels_for(lang).get(value, value)


def pick_language(query: str | None, cookie: str | None) -> str:
    """The page language: the ``lang`` query first, then the cookie, else English."""
    for lang in (query, cookie):
        if lang in LANGUAGES:
            return str(lang)
    return "en"
