"""The report's fixed wording in each language. Chinese reports are fully in Chinese:
headings, notes, table headers, model names, screening notes and diagnostics (by code)."""
from __future__ import annotations

import re

__all__ = ["STRINGS", "strings", "diagnostic_text", "screening_note"]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # structure
        "contents": "Contents", "prepared_for": "Prepared for", "prepared_by": "Prepared by",
        "summary": "Executive summary", "indices": "Scores by group",
        "trend": "Trends over waves", "priorities": "Priorities: importance and performance",
        "items": "Question-level results", "model": "The satisfaction model",
        "comparisons": "Group comparisons", "quality": "Measurement quality",
        "cbsem": "Covariance-based model fit", "kano": "Feature priorities (Kano)",
        "loyalty": "Loyalty types", "customers": "Customer value and satisfaction",
        "sample": "Sample and data quality", "methodology": "Methodology",
        "glossary": "Glossary and limitations", "appendix": "Appendix",
        # summary
        "findings": "Key findings",
        "no_findings": "The results do not support a finding the client can act on.",
        "summary_note": "Indices run from 0 to 100. Intervals are {level} bootstrap intervals "
                        "(NPS: 95% normal intervals); “adjusted” intervals and p-values allow "
                        "for comparing several groups at once.",
        "headline_scope": "Current wave: {wave}. Figures below are for this wave only "
                          "(all respondents n = {n}); earlier waves are in “Trends over waves”.",
        "kpi_index": "{construct} index · {group}", "kpi_nps": "Net Promoter Score · {group}",
        "interval": "{level} interval", "n": "n",
        # scores by group
        "current_intro": "Each construct's index (0–100) and the Net Promoter Score in the "
                         "current wave, by group; the client's group is highlighted.",
        "current_intro_one": "Each construct's index (0–100) and the Net Promoter Score, by "
                             "group; the client's group is highlighted.",
        "arrows_note": "▲ ▼: a significant rise or fall since {prev}.",
        "index_definition": "A construct's index is the mean of its questions rescaled to "
                            "0–100, weighted by the normalised unstandardised PLS outer "
                            "weights (ACSI convention).",
        "index_chart_note": "Indices on a 0–100 scale with {level} bootstrap intervals.",
        "group": "Group", "all": "All respondents", "nps": "Net Promoter Score",
        "promoters": "Promoters", "passives": "Passives", "detractors": "Detractors",
        "ci": "Interval", "pair": "Pair", "difference": "Difference",
        "ci_adj": "Adj. interval", "p_adj": "p (adj.)",
        "sig_note2": "* significant at the 5% level after Bonferroni's correction over the "
                     "pairs compared; the interval is the matching adjusted interval, so a "
                     "mark appears exactly when it excludes 0. † not warranted: MICOM did not "
                     "establish that the construct is measured alike in both groups.",
        "csat": "CSAT (top box)", "item": "Item", "index": "Index",
        "pooled": "pooled over waves", "construct": "Construct", "measure": "Measure",
        # trends
        "wave": "Wave", "change": "Change", "p": "p", "changes_title": "Change since {prev}",
        "trend_note2": "Each panel is one construct; one line per group, the whole sample "
                       "dashed. Indices per wave; intervals are in the appendix.",
        "change_note": "A change is the current wave's index minus the previous wave's, with "
                       "a bootstrap interval of the difference; each change is tested on its "
                       "own. * significant at 5%; † not warranted (see the glossary, MICOM).",
        "trend_table": "Indices by group and wave",
        # priorities
        "importance": "Importance", "performance": "Performance",
        "effect": "Total effect", "outcome": "outcome",
        "ipma_note": "Importance: total effect on {target} of a one-point rise in a driver's "
                     "index. Performance: the driver's index. Lines mark the averages.",
        "ipma_reading_act": "Act first on {names}: the lever that stands out, performing below "
                            "the average of the drivers.",
        "ipma_reading_keep": "Keep up {names}: the lever that stands out, already performing "
                             "above the average of the drivers.",
        "standout": "{construct} stands out as the strongest lever for {target}.",
        "no_standout": "No single driver stands out: {names} all matter, and the gaps between "
                       "them are within their uncertainty.",
        "no_driver": "No actionable driver has a significant effect on {target}.",
        "drivers_by_group": "Priorities by group",
        "priorities_col": "Significant drivers (strongest first)", "standout_col": "Stands out",
        "none": "none", "item_ipma": "Question-level importance and performance",
        "question": "Question", "action": "Action", "act_now": "act first",
        "item_ipma_note": "Importance: effect on {target} of a one-point rise in the question's "
                          "score (0–100); the questions of a construct share its importance by "
                          "their weights. Performance: the question's mean on 0–100. “Act "
                          "first”: a question of a driver performing below the others, scoring "
                          "below the average question.",
        # question-level results
        "items_intro": "Each question of the current wave: the mean on its own scale and the "
                       "top-2-box share (the two highest answers), by group.",
        "mean": "Mean", "top2": "Top 2",
        # model
        "model_intro": "The satisfaction model estimated on {group} with PLS path modelling.",
        "path_diagram_note": "Standardised path coefficients. Solid dark arrows with * are "
                             "significant at the 5% level (bootstrap interval excludes zero), "
                             "dashed grey arrows are not; R² under each construct.",
        "path": "Path", "coefficient": "Coefficient", "r2": "R²", "r2_adj": "Adjusted R²",
        # comparisons
        "index_differences": "Index differences ({group})",
        "cmp_reading": "{n} of {m} index differences between pairs of groups are significant.",
        "paths_reading": "Path differences: {n} of {m} significant (appendix).",
        "micom_none": "Comparisons are not warranted for: {names} (MICOM did not establish "
                      "compositional invariance).",
        "micom_ok": "MICOM establishes compositional invariance for every construct: the "
                    "groups' indices and paths can be compared.",
        "status_full": "full", "status_partial": "partial", "status_none": "none",
        "path_differences": "Path differences ({group})",
        "p_perm": "p permutation (adj.)", "p_henseler": "p Henseler (adj.)",
        "micom": "Measurement invariance of composites (MICOM, {group})",
        "mean_diff": "Mean diff.", "logvar_diff": "Log-variance diff.",
        "micom_note": "Step 2: compositional invariance (c ≥ its 5% permutation quantile). "
                      "Step 3: equal means and variances (differences within their 95% "
                      "permutation intervals). Full invariance also allows pooling the groups.",
        "invariance": "Covariance-based measurement invariance ({group})",
        "invariance_error": "Measurement invariance could not be tested for these groups.",
        "invariance_note": "Configural: the same model in every group; metric: equal "
                           "loadings; scalar: equal loadings and intercepts, which is what "
                           "allows construct means to be compared across groups. A drop in "
                           "CFI of more than .01 speaks against the more constrained model.",
        "inv_configural": "configural", "inv_metric": "metric", "inv_scalar": "scalar",
        "model_level": "Model",
        "latent_means": "Latent mean differences from {ref} (scalar model)",
        "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²", "decision": "Decision",
        "supported": "supported", "not supported": "not supported", "baseline": "baseline",
        # quality
        "quality_intro": "Reliability and convergent validity of each construct's questions; "
                         "discriminant validity between constructs below.",
        "thresholds_note": "Marked (✗) where a value misses the usual threshold: loadings ≥ "
                           "0.708; α, ρA and ρC ≥ 0.70; AVE ≥ 0.50 (Hair et al. 2017); HTMT "
                           "< 0.85 (Henseler et al. 2015).",
        "htmt": "Discriminant validity (HTMT)", "htmt_intervals": "HTMT with intervals",
        "loadings": "Outer loadings", "loading": "Loading",
        "vif_f2": "Collinearity (VIF) and effect sizes (f²)",
        "fit_title": "Model fit",
        "fit_intro": "How closely the correlations the model implies reproduce the observed "
                     "ones (Henseler et al. 2014; d_G with the base-10 logarithm, as ADANCO "
                     "and cSEM report it).",
        "fit_test_intro": " The exact fit test compares each distance with the 95% and 99% "
                          "quantiles (HI95, HI99) of {n} resamples of data made to fit the "
                          "model (Dijkstra and Henseler 2015).",
        "fit_measure": "Measure", "fit_estimated": "Estimated model",
        "fit_saturated": "Saturated model", "fit_verdict": "Exact fit",
        "fit_yes": "not rejected", "fit_no": "rejected",
        "fit_reading": "SRMR of the estimated model {srmr}: {approx} the usual 0.08 limit of "
                       "approximate fit.",
        "fit_below": "below", "fit_above": "above",
        "predict_title": "Out-of-sample prediction (PLSpredict)",
        "predict_intro": "Each question of every outcome is predicted for respondents left "
                         "out of the estimation ({folds}-fold cross-validation, repeated "
                         "{reps} times; Shmueli et al. 2019). Q²predict above 0 beats the "
                         "sample mean; fewer errors than the linear benchmark (LM) on all "
                         "questions means high predictive power.",
        "q2_range": "Q²predict (lowest – highest)", "below_lm": "Questions better than LM",
        "power": "Predictive power", "power_high": "high", "power_medium": "medium",
        "power_low": "low", "power_none": "none",
        "predict_items": "PLSpredict by question", "rmse": "RMSE", "mae": "MAE",
        "lm_rmse": "RMSE (LM)",
        "indirect_title": "Indirect effects (mediation)", "through": "Through",
        "from_to": "From → to", "total_indirect": "total indirect",
        "indirect_note": "Each chain's effect is the product of its paths; intervals from the "
                         "same bootstrap resamples as the paths (Nitzl et al. 2016).",
        "selection_title": "Information criteria per outcome",
        "selection_note": "Lower is better when competing models are fitted to the same data "
                          "(Sharma et al. 2019).",
        "predictors": "Predictors",
        # CB-SEM
        "cbsem_error": "The covariance-based model could not be estimated; the other results "
                       "are not affected.",
        "admissible": "The solution is admissible.",
        "inadmissible": "The solution is NOT admissible; read the problems below.",
        "measure_col": "Measure", "value": "Value", "threshold": "Threshold", "meets": "Meets",
        "yes": "yes", "no": "no",
        "fit_note": "Fit measures with lavaan's definitions; thresholds after Hu & Bentler "
                    "(1999).",
        "fit_chisq": "χ²", "fit_df": "df", "fit_pvalue": "p",
        "problems": "Problems reported by the estimator", "no_problems": "None.",
        "cb_disclosure": "Fitted on {used} of the {rows} respondents of {group} ({method}: "
                         "{dropped} with a missing answer left out).",
        "cb_estimates": "Covariance-based estimates", "parameter": "Parameter",
        "estimate": "Estimate", "std_all": "Standardised", "se": "SE",
        # Kano, loyalty, customers
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
        "behaviour": "Repeat behaviour", "type_loyal": "Loyal", "type_latent": "Latent loyalty",
        "type_spurious": "Spurious loyalty", "type_no_loyalty": "No loyalty",
        "typology_reading": "{loyal:.0f}% are truly loyal; {spurious:.0f}% buy again without "
                            "a favourable attitude (at risk when a competitor makes an offer); "
                            "{latent:.0f}% like the brand but buy little (potential to unlock).",
        "transactions": "transactions", "linked": "{matched} of {respondents} respondents "
                        "found in the transaction data ({unknown} ids unknown to it).",
        "segment": "RFM segment", "abc_class": "ABC class", "recency": "Recency (days)",
        "frequency": "Purchases", "monetary": "Value", "clv": "CLV", "share": "Share",
        "share_customers": "Share of customers", "share_value": "Share of value",
        "sat_by": "{construct} score by {by}", "test_line": "Difference between groups: "
        "ANOVA F = {f:.1f}, p {p}; Kruskal–Wallis p {kp}.",
        "clv_note": "CLV: yearly margin ({margin:.0%} of the last year's spend) discounted at "
                    "{discount:.0%} with a yearly retention of {retention:.0%} estimated from "
                    "repeat purchases: margin / (1 + discount − retention).",
        # sample and data quality
        "rows_read": "Responses read", "rows_kept": "Responses kept", "excluded": "Excluded",
        "reason": "Reason", "flagged": "Flagged", "excluded_by": "Excluded by rule",
        "group_sizes": "Group sizes", "group_item": "Grouped by", "respondents": "respondents",
        "skipped": "Not analysed separately",
        "rule_duplicate": "Duplicate respondent", "rule_screened_out": "Did not qualify",
        "rule_attention": "Failed attention check", "rule_speeder": "Too fast (speeder)",
        "rule_straightlining": "Straight-lining", "rule_missing": "Too many missing answers",
        "rule_invalid_weight": "Invalid weight",
        "fieldwork": "Fieldwork", "fw_start": "Start", "fw_end": "End", "fw_mode": "Mode",
        "fw_frame": "Sample frame", "fw_invited": "Invited", "fw_response_rate": "Response rate",
        "margin_text": "Margin of error of the headline {construct} index: ±{margin:.1f} "
                       "points ({level} interval, n = {n}).",
        "disclosures": "What was done to the data", "model_col": "Model", "rows_col": "Rows",
        "disclosures_other": "What was done to the data: earlier waves",
        "disclosures_more": "The models of earlier waves are listed in the appendix.",
        "used": "Used", "dropped": "Dropped", "imputed": "Cells imputed",
        "n_eff": "Effective n", "method_col": "Missing values",
        "set_missing": "Answers off the scale or unreadable, set missing (kept rows): {items}.",
        "no_set_missing": "No answer of a kept row was off the scale or unreadable.",
        "missing_pls": "item mean replacement", "missing_listwise": "listwise deletion",
        "missing_fiml": "full-information maximum likelihood",
        # methodology
        "estimation": "Estimation", "screening": "Screening", "weighting": "Weighting",
        "multiplicity": "Multiple comparisons", "diagnostics": "Estimation notes",
        "scheme_path": "path", "scheme_factorial": "factorial", "scheme_centroid": "centroid",
        "pls_settings": "PLS path modelling ({scheme} weighting scheme) on standardised "
                        "answers; missing answers replaced by the question's mean within each "
                        "group; {boot} bootstrap resamples (seed {seed}) give {level} "
                        "percentile intervals.",
        "estimator_ML": "maximum likelihood", "estimator_GLS": "generalised least squares",
        "estimator_ULS": "unweighted least squares",
        "estimator_DWLS": "diagonally weighted least squares",
        "estimator_MLM": "maximum likelihood with Satorra–Bentler robust standard errors and "
                         "test",
        "estimator_MLR": "maximum likelihood with Huber–White robust standard errors and the "
                         "Yuan–Bentler test",
        "cb_settings_fiml": "The covariance-based model ({estimator}) is fitted by "
                            "full-information maximum likelihood to every respondent who "
                            "answered at least one of its questions, so incomplete answers "
                            "are used rather than dropped; its fit measures follow lavaan's "
                            "definitions.",
        "cb_settings": "The covariance-based model ({estimator}) is fitted to the respondents "
                       "who answered every question of the model (listwise deletion); its fit "
                       "measures follow lavaan's definitions, and sampling weights enter "
                       "through a weighted covariance matrix with Kish's effective sample "
                       "size.",
        "comparison_method": "Groups are compared on the figures shown for them: index "
                             "differences with intervals from each group's own bootstrap, "
                             "path differences by permutation and by Henseler's bootstrap "
                             "test, and measurement invariance by MICOM.",
        "comparison_cbsem": " The covariance-based model is compared by configural, metric "
                            "and scalar invariance.",
        "screening_text": "Rows excluded by: {rules}. Other rules only flag rows.",
        "no_exclusion": "No screening rule excluded rows.",
        "weight_text": "Estimates weighted by the column {weight} (weighted PLS).",
        "no_weight": "Unweighted.",
        "multiplicity_text": "Pairwise comparisons between groups are adjusted with "
                             "Bonferroni's method over the pairs of one group item for one "
                             "measure. A difference is significant when its adjusted p-value is below "
                             "{alpha}, which is exactly when its adjusted interval excludes "
                             "zero.",
        "multiplicity_waves": " A change since the previous wave is tested on its own.",
        "waves_text": "Headline figures describe the current wave ({wave}); every group is "
                      "also estimated per wave. Figures pooled over waves appear only when "
                      "the study asks for them and are labelled as pooled.",
        # glossary and limitations
        "term_index": "Index", "def_index": "A 0–100 score of a construct: its questions "
        "rescaled to 0–100 and averaged with weights from the PLS model (ACSI convention).",
        "term_nps": "NPS", "def_nps": "Net Promoter Score: % promoters (answers 9–10 to "
        "“would you recommend…”) minus % detractors (0–6), from −100 to 100.",
        "term_csat": "CSAT", "def_csat": "The share of customers giving a top-box answer to "
        "the satisfaction question.",
        "term_interval": "Interval", "def_interval": "The range within which the true value "
        "lies with the stated confidence (95% unless said otherwise), from bootstrap "
        "resampling of the respondents.",
        "term_significance": "Significant", "def_significance": "A difference unlikely to be "
        "due to sampling alone (p < .05); with several groups compared, after adjustment.",
        "term_micom": "MICOM", "def_micom": "Measurement invariance of composites: checks that "
        "a construct is measured alike in two groups, so that comparing them is warranted.",
        "term_htmt": "HTMT", "def_htmt": "Heterotrait–monotrait ratio: how distinct two "
        "constructs are; values below 0.85 indicate distinct constructs.",
        "term_ipma": "IPMA", "def_ipma": "Importance–performance map: each driver's effect on "
        "the target against its index; high importance with low performance is where to "
        "act first.",
        "term_cbsem_fit": "CFI, TLI, RMSEA, SRMR", "def_cbsem_fit": "How well the "
        "covariance-based model reproduces the data; usual thresholds CFI and TLI ≥ 0.95, "
        "RMSEA ≤ 0.06, SRMR ≤ 0.08.",
        "limitations": "What this study cannot say",
        "limit_cross_section": "Each wave is a cross-section: the model shows associations "
                               "consistent with the causal order assumed, not proof of cause.",
        "limit_sample": "Figures describe the respondents as screened and weighted; they "
                        "describe the market only as far as the sample frame covers it.",
        "limit_self_report": "Answers are self-reports and may differ from behaviour (see the "
                             "customer-value section where transactions are linked).",
        "limit_model": "Indices and drivers depend on the model specified; constructs left "
                       "out of it cannot be assessed.",
        "limit_small_groups": "Groups below the minimum size are not analysed separately; "
                              "small groups have wide intervals.",
        # appendix
        "questionnaire_text": "The questions", "scale": "Scale",
        "syntax": "Model syntax (lavaan)", "software": "Software", "page": "Page",
    },
    "zh-CN": {
        "contents": "目录", "prepared_for": "委托方", "prepared_by": "编制",
        "summary": "执行摘要", "indices": "各组得分", "trend": "历年趋势",
        "priorities": "改进优先级：重要性–表现分析", "items": "题目层面的结果",
        "model": "满意度模型", "comparisons": "组间比较", "quality": "测量质量",
        "cbsem": "协方差结构模型拟合", "kano": "功能优先级（卡诺模型）", "loyalty": "忠诚类型",
        "customers": "顾客价值与满意度", "sample": "样本与数据质量", "methodology": "研究方法",
        "glossary": "术语与局限", "appendix": "附录",
        "findings": "主要发现", "no_findings": "现有结果不足以支持可供决策的结论。",
        "summary_note": "指数为0–100分。置信区间为{level}自助法置信区间（净推荐值为95%正态置信"
                        "区间）；“校正”的置信区间和p值考虑了多组同时比较。",
        "headline_scope": "当前年度：{wave}年。以下数字仅针对该年度（全部受访者 {n} 人）；"
                          "往年结果见“历年趋势”。",
        "kpi_index": "{construct}指数 · {group}", "kpi_nps": "净推荐值 · {group}",
        "interval": "{level}置信区间", "n": "样本量",
        "current_intro": "当前年度各组的结构变量指数（0–100分）和净推荐值；委托方所在组以底色"
                         "标出。",
        "current_intro_one": "各组的结构变量指数（0–100分）和净推荐值；委托方所在组以底色标出。",
        "arrows_note": "▲ ▼：较{prev}年显著上升或下降。",
        "index_definition": "结构变量的指数为其题目得分换算到0–100分后，按标准化前的PLS外部"
                            "权重（归一化）加权平均（ACSI惯例）。",
        "index_chart_note": "指数为0–100分，误差线为{level}自助法置信区间。",
        "group": "组别", "all": "全部受访者", "nps": "净推荐值", "promoters": "推荐者",
        "passives": "中立者", "detractors": "贬损者", "ci": "置信区间", "pair": "比较组",
        "difference": "差值", "ci_adj": "校正置信区间", "p_adj": "校正p值",
        "sig_note2": "* 经Bonferroni多重比较校正后在5%水平上显著；所列区间为相应的校正置信区间，"
                     "区间不含0时才标注*。† 不宜比较：MICOM未能确认该结构变量在两组中的测量"
                     "一致。",
        "csat": "顾客满意率（最高选项占比）", "item": "题目", "index": "指数",
        "pooled": "多年合并", "construct": "结构变量", "measure": "指标",
        "wave": "年度", "change": "变化", "p": "p值", "changes_title": "较{prev}年的变化",
        "trend_note2": "每个小图对应一个结构变量；每条线代表一个组别，虚线为全部受访者。"
                       "置信区间见附录。",
        "change_note": "变化为当前年度指数减去上一年度指数，附差值的自助法置信区间；每项变化"
                       "单独检验。* 在5%水平上显著；† 不宜比较（见术语表中的MICOM）。",
        "trend_table": "各组历年指数",
        "importance": "重要性", "performance": "表现", "effect": "总效应", "outcome": "结果变量",
        "ipma_note": "重要性：驱动因素指数每提高1分对{target}的总效应；表现：驱动因素的指数。"
                     "虚线为平均值。",
        "ipma_reading_act": "优先改进：{names}——最突出的杠杆，表现低于各驱动因素的平均水平。",
        "ipma_reading_keep": "继续保持：{names}——最突出的杠杆，表现已高于各驱动因素的平均水平。",
        "standout": "{construct}是影响{target}最突出的杠杆。",
        "no_standout": "没有单一突出的驱动因素：{names}均有显著影响，彼此差距在不确定性范围之内。",
        "no_driver": "没有可改进的驱动因素对{target}有显著影响。",
        "drivers_by_group": "各组改进重点", "priorities_col": "显著驱动因素（由强到弱）",
        "standout_col": "突出因素", "none": "无", "item_ipma": "题目层面的重要性与表现",
        "question": "题目", "action": "建议", "act_now": "优先改进",
        "item_ipma_note": "重要性：该题得分（0–100）每提高1分对{target}的效应；同一结构变量的各题"
                          "按权重分担其重要性。表现：该题的平均得分（0–100）。“优先改进”：表现"
                          "低于其他驱动因素的结构变量中、得分低于各题平均水平的题目。",
        "items_intro": "当前年度每道题在各组的平均分（按该题量表）及最高两档选项的占比。",
        "mean": "均值", "top2": "前两档占比",
        "model_intro": "基于{group}的样本，用偏最小二乘路径模型估计的满意度模型。",
        "path_diagram_note": "标准化路径系数。带*的深色实线在5%水平上显著（自助法置信区间不含0），"
                             "灰色虚线不显著；结构变量下方为R²。",
        "path": "路径", "coefficient": "系数", "r2": "R²", "r2_adj": "调整后R²",
        "index_differences": "指数差异（{group}）",
        "cmp_reading": "各组两两比较的{m}项指数差异中，有{n}项显著。",
        "paths_reading": "路径系数差异：{m}项中{n}项显著（见附录）。",
        "micom_none": "以下结构变量不宜比较：{names}（MICOM未能确认组成不变性）。",
        "micom_ok": "MICOM确认所有结构变量均满足组成不变性：各组的指数和路径系数可以比较。",
        "status_full": "完全", "status_partial": "部分", "status_none": "无",
        "path_differences": "路径系数差异（{group}）", "p_perm": "置换检验校正p值",
        "p_henseler": "Henseler检验校正p值",
        "micom": "复合变量测量不变性（MICOM，{group}）",
        "mean_diff": "均值差", "logvar_diff": "对数方差差",
        "micom_note": "第2步：组成不变性（c不低于置换分布的5%分位数）。第3步：均值与方差相等"
                      "（差值在95%置换区间之内）。完全不变性还允许合并各组数据。",
        "invariance": "协方差结构模型测量不变性（{group}）",
        "invariance_error": "这些组别无法进行测量不变性检验。",
        "invariance_note": "形态等值：各组模型结构相同；度量等值：各组因子载荷相等；标量等值："
                           "载荷与截距均相等，满足时才能比较各组结构变量的均值。CFI下降超过"
                           "0.01即不支持约束更强的模型。",
        "inv_configural": "形态等值", "inv_metric": "度量等值", "inv_scalar": "标量等值",
        "model_level": "模型",
        "latent_means": "与{ref}相比的潜变量均值差异（标量等值模型）",
        "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²", "decision": "结论",
        "supported": "成立", "not supported": "不成立", "baseline": "基准",
        "quality_intro": "各结构变量题目的信度与收敛效度；下表为结构变量之间的区分效度。",
        "thresholds_note": "未达到常用标准的数值以✗标出：载荷≥0.708；α、ρA、ρC≥0.70；AVE≥0.50"
                           "（Hair等，2017）；HTMT<0.85（Henseler等，2015）。",
        "htmt": "区分效度（HTMT）", "htmt_intervals": "HTMT及其置信区间",
        "loadings": "外部载荷", "loading": "载荷", "vif_f2": "共线性（VIF）与效应量（f²）",
        "fit_title": "模型拟合",
        "fit_intro": "模型隐含的相关矩阵与观测相关矩阵的接近程度（d_G取以10为底的对数，"
                     "与ADANCO和cSEM一致）。",
        "fit_test_intro": "精确拟合检验把每个距离与{n}次按模型变换后数据的重抽样所得95%和99%"
                          "分位数（HI95、HI99）相比较。",
        "fit_measure": "指标", "fit_estimated": "估计模型", "fit_saturated": "饱和模型",
        "fit_verdict": "精确拟合", "fit_yes": "未被拒绝", "fit_no": "被拒绝",
        "fit_reading": "估计模型的SRMR为{srmr}，{approx}近似拟合常用的0.08界限。",
        "fit_below": "低于", "fit_above": "高于",
        "predict_title": "样本外预测（PLSpredict）",
        "predict_intro": "对未参与估计的受访者预测各结果变量的每道题目（{folds}折交叉验证，重复"
                         "{reps}次）。Q²predict大于0表示优于样本均值；所有题目的误差都小于线性"
                         "基准模型（LM）表示预测能力高。",
        "q2_range": "Q²predict（最低–最高）", "below_lm": "优于LM的题目",
        "power": "预测能力", "power_high": "高", "power_medium": "中", "power_low": "低",
        "power_none": "无",
        "predict_items": "各题目的PLSpredict结果", "rmse": "RMSE", "mae": "MAE",
        "lm_rmse": "RMSE（LM）",
        "indirect_title": "间接效应（中介）", "through": "经由", "from_to": "从 → 到",
        "total_indirect": "间接效应合计",
        "indirect_note": "每条链的效应为其路径系数之积；置信区间来自与路径系数相同的自助法重抽样。",
        "selection_title": "各结果变量的信息准则",
        "selection_note": "对同一数据拟合的竞争模型，数值越低越好。",
        "predictors": "预测变量数",
        "cbsem_error": "协方差结构模型无法估计；其他结果不受影响。",
        "admissible": "解是可接受的。", "inadmissible": "解不可接受，请阅读下列问题。",
        "measure_col": "指标", "value": "数值", "threshold": "标准", "meets": "达标",
        "yes": "是", "no": "否",
        "fit_note": "拟合指标采用lavaan的定义；标准参照Hu与Bentler（1999）。",
        "fit_chisq": "χ²", "fit_df": "自由度", "fit_pvalue": "p值",
        "problems": "估计程序报告的问题", "no_problems": "无。",
        "cb_disclosure": "基于{group}的{rows}名受访者中的{used}名估计（{method}：{dropped}名有缺失"
                         "回答的受访者未纳入）。",
        "cb_estimates": "协方差结构模型估计值", "parameter": "参数", "estimate": "估计值",
        "std_all": "标准化值", "se": "标准误",
        "feature": "功能", "dominant": "类别", "better": "满意系数", "worse": "不满意系数",
        "kano_note": "每项功能正反各问一次；按卡诺评价表归类：A魅力质量、O期望质量、M当然质量、"
                     "I无差异、R反向、Q可疑。满意系数=(A+O)/(A+O+M+I)，不满意系数="
                     "(O+M)/(A+O+M+I)（Berger等，1993）。",
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
        "segment": "RFM顾客群", "abc_class": "ABC分类", "recency": "最近购买（天）",
        "frequency": "购买次数", "monetary": "金额", "clv": "顾客终身价值", "share": "占比",
        "share_customers": "顾客占比", "share_value": "价值占比",
        "sat_by": "按{by}分组的{construct}得分",
        "test_line": "组间差异：方差分析F = {f:.1f}，p {p}；Kruskal–Wallis检验p {kp}。",
        "clv_note": "顾客终身价值：年利润（上一年消费额的{margin:.0%}），按{discount:.0%}贴现，年"
                    "保留率{retention:.0%}（由重复购买估计）：利润 /（1 + 贴现率 − 保留率）。",
        "rows_read": "读取样本", "rows_kept": "有效样本", "excluded": "剔除", "reason": "原因",
        "flagged": "标记", "excluded_by": "按规则剔除", "group_sizes": "各组样本量",
        "group_item": "分组依据", "skipped": "未单独分析的组别",
        "respondents": "人",
        "rule_duplicate": "重复作答", "rule_screened_out": "不符合甄别条件",
        "rule_attention": "未通过注意力测试", "rule_speeder": "答题过快",
        "rule_straightlining": "直线作答", "rule_missing": "缺失过多",
        "rule_invalid_weight": "权重无效",
        "fieldwork": "调查执行", "fw_start": "开始日期", "fw_end": "结束日期",
        "fw_mode": "调查方式", "fw_frame": "抽样框", "fw_invited": "邀请人数",
        "fw_response_rate": "应答率",
        "margin_text": "核心{construct}指数的误差范围：±{margin:.1f}分（{level}置信区间，样本量"
                       "{n}）。",
        "disclosures": "数据处理说明", "model_col": "模型", "rows_col": "样本", "used": "使用",
        "disclosures_other": "数据处理说明：往年", "disclosures_more": "往年模型的数据处理见附录。",
        "dropped": "删除", "imputed": "替代的缺失值", "n_eff": "有效样本量",
        "method_col": "缺失值处理",
        "set_missing": "超出量表范围或无法识别、按缺失处理的回答（有效样本）：{items}。",
        "no_set_missing": "有效样本中没有超出量表范围或无法识别的回答。",
        "missing_pls": "均值替代", "missing_listwise": "成列删除",
        "missing_fiml": "完全信息极大似然",
        "estimation": "估计方法", "screening": "样本甄别", "weighting": "加权",
        "multiplicity": "多重比较", "diagnostics": "估计说明",
        "scheme_path": "路径", "scheme_factorial": "因子", "scheme_centroid": "形心",
        "pls_settings": "偏最小二乘路径模型（{scheme}加权方案），回答经标准化；缺失回答以该题在"
                        "组内的均值替代；自助法重抽样{boot}次（种子{seed}），给出{level}百分位"
                        "置信区间。",
        "estimator_ML": "极大似然估计", "estimator_GLS": "广义最小二乘估计",
        "estimator_ULS": "未加权最小二乘估计", "estimator_DWLS": "对角加权最小二乘估计",
        "estimator_MLM": "极大似然估计，Satorra–Bentler稳健标准误与检验",
        "estimator_MLR": "极大似然估计，Huber–White稳健标准误与Yuan–Bentler检验",
        "cb_settings_fiml": "协方差结构模型（{estimator}）采用完全信息极大似然估计，纳入至少回答了"
                            "模型一道题目的全部受访者，不完整的回答得以利用而非删除；拟合指标采用"
                            "lavaan的定义。",
        "cb_settings": "协方差结构模型（{estimator}）基于回答了模型全部题目的受访者（成列删除）；"
                       "拟合指标采用lavaan的定义，抽样权重通过加权协方差矩阵及Kish有效样本量"
                       "纳入。",
        "comparison_method": "组间比较基于各组所列的数字：指数差异的置信区间来自各组各自的自助法"
                             "抽样；路径系数差异采用置换检验和Henseler自助法检验；测量不变性"
                             "采用MICOM。",
        "comparison_cbsem": "协方差结构模型另检验形态等值、度量等值和标量等值。",
        "screening_text": "按以下规则剔除样本：{rules}。其他规则仅作标记。",
        "no_exclusion": "没有甄别规则剔除样本。",
        "weight_text": "按{weight}列加权（加权PLS）。",
        "no_weight": "未加权。",
        "multiplicity_text": "组间两两比较按Bonferroni方法校正（同一分组变量、同一指标的各组对为"
                             "一族）。校正p值低于{alpha}即为显著，"
                             "这恰好等价于校正置信区间不含0。",
        "multiplicity_waves": "与上一年度的变化单独检验。",
        "waves_text": "核心数字描述当前年度（{wave}年）；各组也按年度分别估计。多年合并的数字"
                      "仅在研究设定要求时给出，并标注为多年合并。",
        "term_index": "指数", "def_index": "结构变量的0–100分得分：其题目得分换算到0–100分后，按"
        "PLS模型的权重加权平均（ACSI惯例）。",
        "term_nps": "净推荐值（NPS）", "def_nps": "推荐者（“是否愿意推荐”回答9–10分）占比减去"
        "贬损者（0–6分）占比，取值−100至100。",
        "term_csat": "顾客满意率（CSAT）", "def_csat": "对满意度题目给出最高档回答的顾客占比。",
        "term_interval": "置信区间", "def_interval": "在给定置信水平（未另行说明时为95%）下真值"
        "所在的范围，由对受访者的自助法重抽样得到。",
        "term_significance": "显著", "def_significance": "差异不太可能仅由抽样造成（p < .05）；"
        "多组同时比较时为校正后的结果。",
        "term_micom": "复合变量测量不变性（MICOM）", "def_micom": "检验结构变量在两组中的测量方式"
        "是否一致，一致时比较两组才有意义。",
        "term_htmt": "异质–单质比率（HTMT）", "def_htmt": "衡量两个结构变量的区分程度；低于0.85"
        "表示二者可以区分。",
        "term_ipma": "重要性–表现分析（IPMA）", "def_ipma": "把各驱动因素对目标变量的效应与其指数"
        "对照；重要性高而表现低之处应优先改进。",
        "term_cbsem_fit": "CFI、TLI、RMSEA、SRMR", "def_cbsem_fit": "协方差结构模型对数据的拟合"
        "程度；常用标准为CFI与TLI≥0.95，RMSEA≤0.06，SRMR≤0.08。",
        "limitations": "本研究不能回答的问题",
        "limit_cross_section": "每个年度都是横截面数据：模型显示的是与假定因果顺序一致的关联，"
                               "而非因果证明。",
        "limit_sample": "数字描述的是经甄别和加权后的受访者；只有在抽样框覆盖的范围内，才能推及"
                        "整个市场。",
        "limit_self_report": "回答属于自我报告，可能与实际行为不同（关联交易数据时见顾客价值一节）。",
        "limit_model": "指数和驱动因素取决于所设定的模型；模型之外的因素无法评估。",
        "limit_small_groups": "样本量低于下限的组别不单独分析；小组别的置信区间较宽。",
        "questionnaire_text": "调查题目", "scale": "量表", "syntax": "模型语法（lavaan）",
        "software": "软件", "page": "页",
    },
}

SEGMENTS = {
    "en": {"champions": "Champions", "cannot_lose": "Cannot lose them", "loyal": "Loyal",
           "at_risk": "At risk", "new": "New", "promising": "Promising",
           "potential_loyalist": "Potential loyalists", "need_attention": "Need attention",
           "about_to_sleep": "About to sleep", "hibernating": "Hibernating", "lost": "Lost",
           "others": "Others"},
    "zh-CN": {"champions": "重要价值顾客", "cannot_lose": "重要挽留顾客", "loyal": "忠诚顾客",
              "at_risk": "流失风险顾客", "new": "新顾客", "promising": "有潜力的新顾客",
              "potential_loyalist": "潜在忠诚顾客", "need_attention": "需要关注顾客",
              "about_to_sleep": "即将沉睡顾客", "hibernating": "沉睡顾客", "lost": "已流失顾客",
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
        "loading_above_one": "标准化载荷超出±1，测量误差方差为负，解不可接受：{concerns}。",
        "construct_corr_not_pd": "结构变量相关矩阵非正定，部分结构变量线性相关或相关超出±1，"
                                 "解不可接受：{concerns}。",
        "reliability_above_one": "信度ρA大于1，一致性PLS的衰减校正不可接受：{concerns}。",
        "path_beyond_one": "标准化路径系数超出±1，预测变量高度共线，其效应无法区分：{concerns}。",
        "construct_corr_high": "结构变量之间相关高于0.95，几乎无法区分：{concerns}。",
        "inner_vif_high": "结构模型中预测变量的VIF高于5，其效应与其他预测变量混淆：{concerns}。",
        "small_sample": "样本量过小（{concerns}），估计值和置信区间不稳定。",
        "collinearity": "观测变量完全共线（VIF无穷大）：{concerns}；请删除重复的题目。",
        "bootstrap_failures": "部分自助法重抽样未得到估计值，区间基于其余样本{concerns}。",
        "fit_test_failures": "部分精确拟合检验的重抽样未得到估计值，分位数基于其余样本。",
        "predict_skipped": "未进行PLSpredict：高阶结构变量没有公认的PLSpredict方法。",
        "drivers_skipped": "含交互项或高阶结构变量的模型无法进行重要性–绩效分析（IPMA），"
                           "因此不对驱动因素排序。",
        "permutation_failures": "部分置换样本未得到估计值，p值基于其余样本{concerns}。",
        "heywood": "方差估计为负（Heywood现象），解不可接受：{concerns}。",
        "std_beyond_one": "标准化估计值超出±1：{concerns}。",
        "implied_not_pd": "模型隐含协方差矩阵非正定。",
        "collinear_constructs": "结构变量之间高度共线（标准化路径超出±1、相关或R²高于0.95）："
                                "{concerns}；其效应无法区分。",
        "latent_not_pd": "潜变量协方差矩阵非正定，结构变量可能高度共线：{concerns}。",
        "sample_not_pd": "样本协方差矩阵非正定（题目共线，或样本少于变量数），估计值不可信。",
        "not_identified": "模型不可识别：自由参数多于方差和协方差的个数。",
        "se_failed": "部分标准误无法计算（信息矩阵奇异），模型可能不可识别。",
        "model_failed": "协方差结构模型无法估计。",
        "pls_failed": "该组的PLS模型无法估计（结构变量的题目完全相同或共线），"
                      "其指数和驱动因素未计算。",
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


#: Screening notes and reasons for skipping a group (written in English by the stages
#: that make them), for other languages.
SCREENING_NOTES = {
    "zh-CN": [
        (r"duplicates: a repeated respondent id in '(.+)' \(first kept\)",
         "重复作答：受访者编号（{0}）重复，保留第一次作答"),
        (r"duplicates: identical answers to every construct item \(no id item\)",
         "重复作答：所有结构变量题目的回答完全相同（无编号题）"),
        (r"speeders: under ([\d.]+) × the median duration \(([\d.]+) s\)",
         "答题过快：用时不足中位数（{1}秒）的{0}倍"),
        (r"straight-lining: .*\(at least (\d+) items answered\)",
         "直线作答：同一题组或整份问卷的所有评分题回答相同（至少回答{0}题）"),
        (r"missing: more than (\d+)% of construct items missing",
         "缺失过多：结构变量题目缺失超过{0}%"),
        (r"(\d+) row\(s\) repeat rows of (.+) \(same id or identical answers\)",
         "{0}行与{1}中的行重复（编号相同或回答完全相同）"),
        (r"(\d+) column\(s\) not in the questionnaire were ignored: (.*)",
         "忽略了{0}个不在问卷中的列：{1}"),
        (r"Qualtrics column '(.+)' used for item '(.+)'", "Qualtrics列{0}用作题目{1}"),
        (r"Qualtrics export: .*", "Qualtrics导出文件：第2、3行（题目文字、导入编号）不是回答"),
        (r"fewer than (\d+) respondents", "少于{0}名受访者"),
        (r"this wave lacks construct\(s\) (.+)", "该年度缺少结构变量{0}"),
        (r"group column '(.+)' has a single level", "分组列{0}只有一个取值"),
        (r"no comparison of (\w+): .*", "无法比较{0}（有效组别不足）"),
    ],
}


def screening_note(note: str, lang: str) -> str:
    """A screening note in the report's language (as written where no pattern fits)."""
    for pattern, template in SCREENING_NOTES.get(lang, []):
        m = re.fullmatch(pattern, note)
        if m:
            return template.format(*m.groups())
    return note
