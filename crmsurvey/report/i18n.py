"""The report's fixed wording in each language. Chinese reports are fully in Chinese."""
from __future__ import annotations

__all__ = ["STRINGS", "strings", "diagnostic_text"]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents", "prepared_for": "Prepared for", "prepared_by": "Prepared by",
        "summary": "Executive summary", "sample": "Sample and data quality",
        "model": "The satisfaction model", "indices": "Satisfaction indices",
        "priorities": "Priorities: importance and performance",
        "quality": "Measurement quality", "cbsem": "Covariance-based model fit",
        "methodology": "Methodology",
        "overall_index": "Overall satisfaction index (0–100)",
        "index_of": "{construct} index", "interval": "{level} interval",
        "nps": "Net Promoter Score", "promoters": "Promoters", "passives": "Passives",
        "detractors": "Detractors", "group": "Group", "all": "All respondents",
        "key_drivers": "Key drivers of {target}",
        "driver_sentence": "{construct}: a one-point rise in its index moves {target} by "
                           "{effect:.2f} points{sig}.",
        "significant": "", "not_significant": " (not statistically significant)",
        "rows_read": "Responses read", "rows_kept": "Responses kept",
        "excluded": "Excluded", "reason": "Reason", "count": "Count", "flagged": "Flagged",
        "excluded_by": "Excluded by rule", "group_sizes": "Group sizes",
        "skipped": "Not analysed separately", "respondents": "respondents",
        "rule_duplicate": "Duplicate respondent", "rule_screened_out": "Did not qualify",
        "rule_attention": "Failed attention check", "rule_speeder": "Too fast (speeder)",
        "rule_straightlining": "Straight-lining", "rule_missing": "Too many missing answers",
        "rule_invalid_weight": "Invalid weight",
        "path_diagram_note": "Standardised path coefficients (PLS-PM). Solid arrows are "
                             "significant at the 5% level (bootstrap interval excludes zero); "
                             "R² under each construct.",
        "construct": "Construct", "r2": "R²", "r2_adj": "Adjusted R²",
        "path": "Path", "coefficient": "Coefficient", "ci": "95% interval", "p": "p",
        "index_chart_note": "Indices on a 0–100 scale with {level} bootstrap intervals.",
        "index": "Index", "n": "n",
        "ipma_note": "Importance: total effect on {target} of a one-point rise in a "
                     "driver's index. Performance: the driver's index. Lines mark the averages.",
        "ipma_reading_act": "Act first on {names}: the lever that stands out, performing below "
                            "the average of the drivers.",
        "ipma_reading_keep": "Keep up {names}: the lever that stands out, already performing "
                             "above the average of the drivers.",
        "importance": "Importance", "performance": "Performance",
        "reliability": "Reliability and convergent validity",
        "loadings": "Outer loadings", "htmt": "Discriminant validity (HTMT)",
        "item": "Item", "loading": "Loading",
        "thresholds_note": "Marked (✗) where a value misses the usual threshold: loadings "
                           "≥ 0.708, alpha, rho_A and rho_C ≥ 0.70, AVE ≥ 0.50 (Hair et al. "
                           "2017); HTMT < 0.85 (Henseler et al. 2015).",
        "measure": "Measure", "value": "Value", "threshold": "Threshold", "meets": "Meets",
        "fit_note": "Fit measures with lavaan's definitions; thresholds after Hu & Bentler "
                    "(1999).",
        "problems": "Problems reported by the estimator", "no_problems": "None.",
        "admissible": "The solution is admissible.",
        "inadmissible": "The solution is NOT admissible; read the problems below.",
        "cbsem_error": "The covariance-based model could not be fitted: {error}",
        "syntax": "Model syntax (lavaan)", "estimation": "Estimation",
        "screening": "Screening", "weighting": "Weighting", "software": "Software",
        "diagnostics": "Estimation notes",
        "pls_settings": "PLS path modelling ({scheme} weighting scheme), standardised items, "
                        "mean replacement of missing answers, {boot} bootstrap resamples "
                        "(seed {seed}), {level} percentile intervals.",
        "cb_settings": "Covariance-based SEM with semopy ({estimator}), listwise deletion; "
                       "fit measures follow lavaan's definitions.",
        "screening_text": "Rows excluded by: {rules}. Other rules only flag rows.",
        "no_exclusion": "No screening rule excluded rows.",
        "weight_text": "Estimates weighted by the column {weight} (weighted PLS; weighted "
                       "covariance matrix with Kish's effective sample size for CB-SEM).",
        "no_weight": "Unweighted.", "page": "Page", "yes": "yes", "no": "no",
        "index_definition": "A construct's index is the mean of its items rescaled to 0–100, "
                            "weighted by the normalised unstandardised PLS outer weights "
                            "(ACSI convention).",
        "kano": "Feature priorities (Kano)", "loyalty": "Loyalty types",
        "customers": "Customer value and satisfaction",
        "feature": "Feature", "dominant": "Category", "better": "Better", "worse": "Worse",
        "kano_note": "Each feature asked twice (if present / if absent); categories from "
                     "the Kano evaluation table: A attractive, O one-dimensional, M must-be, "
                     "I indifferent, R reverse, Q questionable. Better = (A+O)/(A+O+M+I), "
                     "worse = (O+M)/(A+O+M+I) (Berger et al. 1993).",
        "kano_A": "attractive", "kano_O": "one-dimensional", "kano_M": "must-be",
        "kano_I": "indifferent", "kano_R": "reverse", "kano_Q": "questionable",
        "kano_reading": "{names}: {category} — {advice}",
        "kano_advice_M": "customers expect it; its absence causes dissatisfaction",
        "kano_advice_O": "satisfaction rises with how well it is delivered",
        "kano_advice_A": "delights when present, not missed when absent",
        "kano_advice_I": "customers do not care much either way",
        "kano_advice_R": "a share of customers would rather not have it",
        "kano_advice_Q": "answers contradict each other; check the wording",
        "typology_note": "Dick & Basu (1994): relative attitude ({attitude}) crossed with "
                         "repeat behaviour ({behaviour}); cut-offs {ca} and {cb}{medians}.",
        "medians": " (the medians)", "attitude": "Relative attitude",
        "behaviour": "Repeat behaviour",
        "type_loyal": "Loyal", "type_latent": "Latent loyalty", "type_spurious": "Spurious loyalty",
        "type_no_loyalty": "No loyalty",
        "typology_reading": "{loyal:.0f}% are truly loyal; {spurious:.0f}% buy again without "
                            "a favourable attitude (at risk when a competitor makes an offer); "
                            "{latent:.0f}% like the brand but buy little (potential to unlock).",
        "transactions": "Transactions", "linked": "{matched} of {respondents} respondents "
                        "found in the transaction data ({unknown} ids unknown to it).",
        "segment": "RFM segment", "abc_class": "ABC class", "recency": "Recency (days)",
        "frequency": "Purchases", "monetary": "Value", "clv": "CLV", "share": "Share",
        "share_customers": "Share of customers", "share_value": "Share of value",
        "sat_by": "{construct} score by {by}", "mean": "Mean",
        "test_line": "Difference between groups: ANOVA F = {f:.1f}, p {p}; Kruskal–Wallis p {kp}.",
        "clv_note": "CLV: yearly margin ({margin:.0%} of the last year's spend) discounted at "
                    "{discount:.0%} with a yearly retention of {retention:.0%} estimated from "
                    "repeat purchases: margin / (1 + discount − retention).",
        "csat": "CSAT (top box)",
        "comparisons": "Group comparisons", "trend": "Trend over waves",
        "index_differences": "Index differences ({group})",
        "pair": "Pair", "difference": "Difference", "p_holm": "p (Holm)",
        "sig_note": "* p < .05 after Holm's correction over the pairs; differences and "
                    "intervals from independent bootstraps of each group.",
        "path_differences": "Path differences ({group})",
        "p_perm": "p permutation", "p_henseler": "p Henseler",
        "micom": "Measurement invariance of composites (MICOM, {group})",
        "micom_note": "Step 2: compositional invariance (c ≥ its 5% permutation quantile). "
                      "Step 3: equal means and variances. Full invariance allows comparing "
                      "indices and paths; partial allows comparing paths.",
        "micom_none": "Comparisons are not warranted for: {names} (compositional invariance "
                      "not established).",
        "micom_ok": "Compositional invariance holds for every construct: path comparisons "
                    "are warranted.",
        "invariance": "CB-SEM measurement invariance ({group})",
        "model_level": "Model", "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²",
        "decision": "Decision", "status_full": "full", "status_partial": "partial",
        "status_none": "none", "supported": "supported", "not supported": "not supported",
        "baseline": "baseline",
        "wave": "Wave", "change": "Change",
        "trend_note": "Indices per wave with {level} bootstrap intervals; changes between "
                      "consecutive waves with bootstrap intervals of the difference.",

        "headline_scope": "Current wave: {wave}. Figures below are for this wave only "
                          "(all respondents n = {n}); earlier waves are in “Trend over waves”.",
        "pooled": "pooled over waves", "p_adj": "p (adj.)", "ci_adj": "Adj. interval",
        "sig_note2": "* significant at the 5% level after Bonferroni's correction over the "
                     "pairs compared; the interval is the matching adjusted interval, so a "
                     "mark appears exactly when it excludes 0. † not warranted: MICOM did not "
                     "establish compositional invariance for this construct.",
        "changes_title": "Change since {prev}", "trend_table": "Indices by group and wave",
        "trend_note2": "Indices per wave with {level} bootstrap intervals. A change is the "
                       "current wave's index minus the previous wave's, with a {level} "
                       "bootstrap interval of the difference; each change is tested on its own.",
        "standout": "{construct} stands out as the strongest lever for {target}.",
        "no_standout": "No single driver stands out: {names} all matter, and the gaps between "
                       "them are within their uncertainty.",
        "no_driver": "No actionable driver has a significant effect on {target}.",
        "drivers_by_group": "Priorities by group", "priorities_col": "Significant drivers "
                            "(strongest first)", "standout_col": "Stands out", "none": "none",
        "item_ipma": "Item-level importance and performance",
        "item_ipma_note": "Importance: effect on {target} of a one-point rise in the item "
                          "(0–100); the items of a construct share its importance by their "
                          "weights. Performance: the item's mean on 0–100.",
        "disclosures": "What was done to the data", "model_col": "Model", "rows_col": "Rows",
        "used": "Used", "dropped": "Dropped", "imputed": "Cells imputed",
        "n_eff": "Effective n", "method_col": "Missing values",
        "set_missing": "Answers off the scale or unreadable, set missing (kept rows): {items}.",
        "no_set_missing": "No answer of a kept row was off the scale or unreadable.",
        "multiplicity": "Multiple comparisons",
        "multiplicity_text": "Pairwise comparisons between groups are adjusted with "
                             "Bonferroni's method over the pairs of one group item for one "
                             "measure; a change since the previous wave is tested on its own. "
                             "A difference is significant when its adjusted p-value is below "
                             "{alpha}, which is exactly when its adjusted interval excludes "
                             "zero.",
        "waves_text": "Headline figures describe the current wave ({wave}); every group is "
                      "also estimated per wave. Figures pooled over waves appear only when "
                      "the study asks for them and are labelled as pooled.",
        "missing_pls": "item mean replacement", "missing_listwise": "listwise deletion",
        "missing_fiml": "full-information ML",
        "cb_disclosure": "Fitted on {used} of the {rows} respondents of {group} ({method}: "
                         "{dropped} with a missing answer left out).",
    },
    "zh-CN": {
        "contents": "目录", "prepared_for": "委托方", "prepared_by": "编制",
        "summary": "执行摘要", "sample": "样本与数据质量", "model": "满意度模型",
        "indices": "满意度指数", "priorities": "改进优先级：重要性–表现分析",
        "quality": "测量质量", "cbsem": "协方差结构模型拟合", "methodology": "研究方法",
        "overall_index": "总体满意度指数（0–100）", "index_of": "{construct}指数",
        "interval": "{level}置信区间", "nps": "净推荐值（NPS）", "promoters": "推荐者",
        "passives": "中立者", "detractors": "贬损者", "group": "组别", "all": "全部受访者",
        "key_drivers": "{target}的关键驱动因素",
        "driver_sentence": "{construct}：其指数每提高1分，{target}提高{effect:.2f}分{sig}。",
        "significant": "", "not_significant": "（统计上不显著）",
        "rows_read": "读取样本", "rows_kept": "有效样本", "excluded": "剔除",
        "reason": "原因", "count": "数量", "flagged": "标记", "excluded_by": "按规则剔除",
        "group_sizes": "各组样本量", "skipped": "未单独分析的组别", "respondents": "人",
        "rule_duplicate": "重复作答", "rule_screened_out": "不符合甄别条件",
        "rule_attention": "未通过注意力测试", "rule_speeder": "答题过快",
        "rule_straightlining": "直线作答", "rule_missing": "缺失过多",
        "rule_invalid_weight": "权重无效",
        "path_diagram_note": "标准化路径系数（PLS-PM）。实线表示在5%水平上显著（自助法置信区间"
                             "不含0）；结构变量下方为R²。",
        "construct": "结构变量", "r2": "R²", "r2_adj": "调整后R²", "path": "路径",
        "coefficient": "系数", "ci": "95%置信区间", "p": "p值",
        "index_chart_note": "指数为0–100分，误差线为{level}自助法置信区间。",
        "index": "指数", "n": "样本量",
        "ipma_note": "重要性：驱动因素指数每提高1分对{target}的总效应；表现：驱动因素的指数。"
                     "虚线为平均值。",
        "ipma_reading_act": "优先改进：{names}——最突出的杠杆，表现低于各驱动因素的平均水平。",
        "ipma_reading_keep": "继续保持：{names}——最突出的杠杆，表现已高于各驱动因素的平均水平。",
        "importance": "重要性", "performance": "表现",
        "reliability": "信度与收敛效度", "loadings": "外部载荷",
        "htmt": "区分效度（HTMT）", "item": "观测变量", "loading": "载荷",
        "thresholds_note": "未达到常用标准的数值以✗标出：载荷≥0.708，alpha、rho_A、rho_C≥0.70，"
                           "AVE≥0.50（Hair 等，2017）；HTMT<0.85（Henseler 等，2015）。",
        "measure": "指标", "value": "数值", "threshold": "标准", "meets": "达标",
        "fit_note": "拟合指标采用lavaan的定义；标准参照Hu与Bentler（1999）。",
        "problems": "估计程序报告的问题", "no_problems": "无。",
        "admissible": "解是可接受的。", "inadmissible": "解不可接受，请阅读下列问题。",
        "cbsem_error": "协方差结构模型无法估计：{error}",
        "syntax": "模型语法（lavaan）", "estimation": "估计方法", "screening": "样本甄别",
        "weighting": "加权", "software": "软件", "diagnostics": "估计说明",
        "pls_settings": "偏最小二乘路径模型（{scheme}加权方案），观测变量标准化，缺失值以均值替代，"
                        "自助法重抽样{boot}次（种子{seed}），{level}百分位置信区间。",
        "cb_settings": "基于协方差的结构方程模型（semopy，{estimator}），成列删除；拟合指标采用"
                       "lavaan的定义。",
        "screening_text": "按以下规则剔除样本：{rules}。其他规则仅作标记。",
        "no_exclusion": "没有甄别规则剔除样本。",
        "weight_text": "按{weight}列加权（加权PLS；协方差结构模型使用加权协方差矩阵与Kish有效样本量）。",
        "no_weight": "未加权。", "page": "页", "yes": "是", "no": "否",
        "index_definition": "结构变量的指数为其观测变量均值换算到0–100分后，按标准化前的PLS外部"
                            "权重（归一化）加权平均（ACSI惯例）。",
        "kano": "功能优先级（卡诺模型）", "loyalty": "忠诚类型", "customers": "客户价值与满意度",
        "feature": "功能", "dominant": "类别", "better": "满意系数", "worse": "不满意系数",
        "kano_note": "每项功能正反各问一次；按卡诺评价表归类：A魅力质量、O期望质量、M当然质量、"
                     "I无差异、R反向、Q可疑。满意系数=(A+O)/(A+O+M+I)，不满意系数="
                     "(O+M)/(A+O+M+I)（Berger 等，1993）。",
        "kano_A": "魅力质量", "kano_O": "期望质量", "kano_M": "当然质量", "kano_I": "无差异质量",
        "kano_R": "反向质量", "kano_Q": "可疑结果",
        "kano_reading": "{names}：{category}——{advice}",
        "kano_advice_M": "顾客认为理所当然，缺失会导致不满",
        "kano_advice_O": "做得越好，顾客越满意",
        "kano_advice_A": "具备时令人惊喜，缺失时也不会不满",
        "kano_advice_I": "顾客对此并不在意",
        "kano_advice_R": "部分顾客宁愿没有这项功能",
        "kano_advice_Q": "回答自相矛盾，请检查题目措辞",
        "typology_note": "Dick与Basu（1994）：相对态度（{attitude}）与重复购买行为（{behaviour}）"
                         "交叉分类；分界值为{ca}和{cb}{medians}。",
        "medians": "（中位数）", "attitude": "相对态度", "behaviour": "重复购买行为",
        "type_loyal": "真正忠诚", "type_latent": "潜在忠诚", "type_spurious": "虚假忠诚",
        "type_no_loyalty": "不忠诚",
        "typology_reading": "{loyal:.0f}%的顾客真正忠诚；{spurious:.0f}%的顾客虽重复购买但态度"
                            "并不积极（竞争对手一有优惠便可能流失）；{latent:.0f}%的顾客态度积极"
                            "但购买不多（有待挖掘）。",
        "transactions": "交易数据", "linked": "{respondents}名受访者中有{matched}名在交易数据中"
                        "找到（{unknown}个编号不在交易数据中）。",
        "segment": "RFM客户群", "abc_class": "ABC分类", "recency": "最近购买（天）",
        "frequency": "购买次数", "monetary": "金额", "clv": "客户终身价值", "share": "占比",
        "share_customers": "客户占比", "share_value": "价值占比",
        "sat_by": "按{by}分组的{construct}得分", "mean": "均值",
        "test_line": "组间差异：方差分析F = {f:.1f}，p {p}；Kruskal–Wallis检验p {kp}。",
        "clv_note": "客户终身价值：年利润（上一年消费额的{margin:.0%}），按{discount:.0%}贴现，年"
                    "保留率{retention:.0%}（由重复购买估计）：利润 / (1 + 贴现率 − 保留率)。",
        "csat": "CSAT（最高选项占比）",
        "comparisons": "组间比较", "trend": "历年趋势",
        "index_differences": "指数差异（{group}）", "pair": "比较组", "difference": "差值",
        "p_holm": "p值（Holm校正）",
        "sig_note": "* 经Holm多重比较校正后p < .05；差值及置信区间来自各组独立的自助法抽样。",
        "path_differences": "路径系数差异（{group}）", "p_perm": "置换检验p值",
        "p_henseler": "Henseler检验p值",
        "micom": "复合变量测量不变性（MICOM，{group}）",
        "micom_note": "第2步：组成不变性（c不低于置换分布的5%分位数）。第3步：均值与方差相等。"
                      "完全不变性允许比较指数与路径；部分不变性允许比较路径。",
        "micom_none": "以下结构变量不宜比较：{names}（未建立组成不变性）。",
        "micom_ok": "所有结构变量均满足组成不变性，可以比较路径系数。",
        "invariance": "协方差结构模型测量不变性（{group}）", "model_level": "模型",
        "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²", "decision": "结论",
        "status_full": "完全", "status_partial": "部分", "status_none": "无",
        "supported": "成立", "not supported": "不成立", "baseline": "基准",
        "wave": "年度", "change": "变化",
        "trend_note": "各年度指数及{level}自助法置信区间；相邻年度的变化及差值的自助法置信区间。",

        "headline_scope": "当前年度：{wave}年。以下数字仅针对该年度（全部受访者 {n} 人）；"
                          "往年结果见“历年趋势”。",
        "pooled": "多年合并", "p_adj": "校正p值", "ci_adj": "校正置信区间",
        "sig_note2": "* 经Bonferroni多重比较校正后在5%水平上显著；所列区间为相应的校正置信区间，"
                     "区间不含0时才标注*。† 不宜比较：MICOM未建立该结构变量的组成不变性。",
        "changes_title": "较{prev}年的变化", "trend_table": "各组历年指数",
        "trend_note2": "各年度指数及{level}自助法置信区间。变化为当前年度指数减去上一年度指数，"
                       "附差值的{level}自助法置信区间；每项变化单独检验。",
        "standout": "{construct}是影响{target}最突出的杠杆。",
        "no_standout": "没有单一突出的驱动因素：{names}均有显著影响，彼此差距在不确定性范围之内。",
        "no_driver": "没有可改进的驱动因素对{target}有显著影响。",
        "drivers_by_group": "各组改进重点", "priorities_col": "显著驱动因素（由强到弱）",
        "standout_col": "突出因素", "none": "无",
        "item_ipma": "观测变量层面的重要性与表现",
        "item_ipma_note": "重要性：该题得分（0–100）每提高1分对{target}的效应；同一结构变量的各题"
                          "按权重分担其重要性。表现：该题的平均得分（0–100）。",
        "disclosures": "数据处理说明", "model_col": "模型", "rows_col": "样本",
        "used": "使用", "dropped": "删除", "imputed": "替代的缺失值", "n_eff": "有效样本量",
        "method_col": "缺失值处理",
        "set_missing": "超出量表范围或无法识别、按缺失处理的回答（有效样本）：{items}。",
        "no_set_missing": "有效样本中没有超出量表范围或无法识别的回答。",
        "multiplicity": "多重比较",
        "multiplicity_text": "组间两两比较按Bonferroni方法校正（同一分组变量、同一指标的各组对为"
                             "一族）；与上一年度的变化单独检验。校正p值低于{alpha}即为显著，"
                             "这恰好等价于校正置信区间不含0。",
        "waves_text": "核心数字描述当前年度（{wave}年）；各组也按年度分别估计。多年合并的数字"
                      "仅在研究设定要求时给出，并标注为多年合并。",
        "missing_pls": "均值替代", "missing_listwise": "成列删除", "missing_fiml": "完全信息极大似然",
        "cb_disclosure": "基于{group}的{rows}名受访者中的{used}名估计（{method}：{dropped}名有缺失"
                         "回答的受访者未纳入）。",
    },
}


SEGMENTS = {
    "en": {"champions": "Champions", "cannot_lose": "Cannot lose them", "loyal": "Loyal",
           "at_risk": "At risk", "new": "New", "promising": "Promising",
           "potential_loyalist": "Potential loyalists", "need_attention": "Need attention",
           "about_to_sleep": "About to sleep", "hibernating": "Hibernating", "lost": "Lost",
           "others": "Others"},
    "zh-CN": {"champions": "重要价值客户", "cannot_lose": "重要挽留客户", "loyal": "忠诚客户",
              "at_risk": "流失风险客户", "new": "新客户", "promising": "有潜力的新客户",
              "potential_loyalist": "潜在忠诚客户", "need_attention": "需要关注客户",
              "about_to_sleep": "即将沉睡客户", "hibernating": "沉睡客户", "lost": "已流失客户",
              "others": "其他"},
}
for _lang, _names in SEGMENTS.items():
    STRINGS[_lang].update({f"seg_{k}": v for k, v in _names.items()})


def strings(lang: str) -> dict[str, str]:
    """The wording for ``lang`` (English where a language lacks a string)."""
    return {**STRINGS["en"], **STRINGS.get(lang, {})}


#: Diagnostics by code, for languages other than English (whose sentences come from the
#: estimators); ``{concerns}`` lists what the diagnostic concerns.
DIAGNOSTICS = {
    "zh-CN": {
        "non_convergence": "算法未收敛，估计值不是最终结果{concerns}。",
        "negative_weight": "外部权重为负，相应结构变量的0–100指数无效：{concerns}。",
        "index_bounds": "未给出量表范围，0–100指数按样本观测到的最小值和最大值换算。",
        "improper_loading": "载荷超出±1：{concerns}。",
        "small_sample": "样本量过小（{concerns}），估计值和置信区间不稳定。",
        "collinearity": "观测变量完全共线（VIF无穷大）：{concerns}；请删除重复的题目。",
        "bootstrap_failures": "部分自助法重抽样未得到估计值，区间基于其余样本{concerns}。",
        "permutation_failures": "部分置换样本未得到估计值，p值基于其余样本{concerns}。",
        "heywood": "方差估计为负（Heywood现象），解不可接受：{concerns}。",
        "std_beyond_one": "标准化估计值超出±1：{concerns}。",
        "implied_not_pd": "模型隐含协方差矩阵非正定。",
        "latent_not_pd": "潜变量协方差矩阵非正定，结构变量可能高度共线：{concerns}。",
        "sample_not_pd": "样本协方差矩阵非正定（题目共线，或样本少于变量数），估计值不可信。",
        "not_identified": "模型不可识别：自由参数多于方差和协方差的个数。",
        "se_failed": "部分标准误无法计算（信息矩阵奇异），模型可能不可识别。",
        "model_failed": "协方差结构模型无法估计。",
        "group_too_small": "组别样本量不足，未纳入比较：{concerns}。",
    },
}


def diagnostic_text(code: str, message: str, concerns: list[str], lang: str) -> str:
    """A diagnostic in the report's language: its translation by code where there is one
    (the estimator's own sentence otherwise, and always in English)."""
    template = DIAGNOSTICS.get(lang, {}).get(code)
    if template is None:
        return message
    sep = "、" if lang == "zh-CN" else ", "
    listed = sep.join(concerns)
    if "{concerns}" in template and not template.split("{concerns}")[0].endswith("："):
        listed = f"（{listed}）" if listed else ""
    return template.format(concerns=listed)
