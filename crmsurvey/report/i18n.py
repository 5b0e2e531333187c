"""The report's fixed wording in each language. Chinese reports are fully in Chinese."""
from __future__ import annotations

__all__ = ["STRINGS", "strings"]

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
        "ipma_reading_act": "Act first on {names}: above-average importance, below-average "
                            "performance.",
        "ipma_reading_keep": "Keep up {names}: important and performing above average.",
        "ipma_reading_none": "No driver combines above-average importance with below-average "
                             "performance.",
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
        "ipma_reading_act": "优先改进：{names}——重要性高于平均、表现低于平均。",
        "ipma_reading_keep": "继续保持：{names}——重要且表现高于平均。",
        "ipma_reading_none": "没有驱动因素同时具有高于平均的重要性和低于平均的表现。",
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
    },
}


def strings(lang: str) -> dict[str, str]:
    """The wording for ``lang`` (English where a language lacks a string)."""
    return {**STRINGS["en"], **STRINGS.get(lang, {})}
