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
                        "(NPS: 95% adjusted-Wald intervals; CSAT: 95% Wilson intervals).",
        "summary_note_noci": "Indices run from 0 to 100, without intervals: the study was "
                             "run without bootstrap resamples (NPS: 95% adjusted-Wald "
                             "intervals; CSAT: 95% Wilson intervals).",
        "summary_note_adjusted": "“Adjusted” intervals and p-values allow for comparing "
                                 "several groups at once.",
        "headline_scope": "Current wave: {wave}. Figures below are for this wave only "
                          "(all respondents n = {n}); earlier waves are in “Trends over waves”.",
        "kpi_index": "{construct} index · {group}", "kpi_nps": "Net Promoter Score · {group}",
        "interval": "{level} interval", "n": "n",
        # scores by group
        "current_intro": "Each construct's index (0–100) and the Net Promoter Score in the "
                         "current wave, by group; the client's group is highlighted.",
        "current_intro_one": "Each construct's index (0–100) and the Net Promoter Score, by "
                             "group; the client's group is highlighted.",
        "indices_one": "Scores",
        "current_intro_single": "Each construct's index (0–100) and the Net Promoter Score "
                                "of all respondents.",
        "current_intro_single_wave": "Each construct's index (0–100) and the Net Promoter "
                                     "Score of all respondents in the current wave.",
        "arrows_note": "▲ ▼: a significant rise or fall since {prev}.",
        "index_definition": "A construct's index is the mean of its questions rescaled to "
                            "0–100, weighted by the normalised unstandardised PLS outer "
                            "weights (ACSI convention).",
        "index_chart_note": "Indices on a 0–100 scale with {level} bootstrap intervals.",
        "index_chart_note_noci": "Indices on a 0–100 scale (no intervals: the study was run "
                                 "without bootstrap resamples).",
        "group": "Group", "all": "All respondents", "nps": "Net Promoter Score",
        "promoters": "Promoters", "passives": "Passives", "detractors": "Detractors",
        "ci": "Interval", "pair": "Pair", "difference": "Difference",
        "ci_adj": "Adj. interval", "p_adj": "p (adj.)",
        "sig_note2": "* significant at the 5% level after Bonferroni's correction over the "
                     "pairs compared; the interval is the matching adjusted interval, so a "
                     "mark appears exactly when it excludes 0. † not warranted: MICOM did not "
                     "establish that the construct is measured alike in both groups.",
        "csat": "CSAT: share of top answers", "item": "Item", "index": "Index",
        "box_1": "top box", "box_2": "top-2 box", "box_n": "top-{k} box",
        "box_rule": "{item} ({box}: {span})",
        "complaints_title": "Complaints",
        "complaints_intro": "The share of respondents who complained, how satisfied "
                            "complainers were with the handling of their complaint, and the "
                            "{loyalty} index (0–100) of complainers against the others, by "
                            "group.",
        "complaints_intro_nohandling": "The share of respondents who complained and the "
                                       "{loyalty} index (0–100) of complainers against the "
                                       "others, by group.",
        "complaint_rate": "Complaint rate", "handling": "Handling",
        "complainers": "{loyalty}: complainers", "non_complainers": "{loyalty}: others",
        "complaints_note": "Complaint rate with its 95% Wilson interval; handling: mean on its "
                           "{scale} scale among complainers, 95% t interval; loyalty difference: "
                           "complainers minus the others, z test adjusted with Holm's method "
                           "over the groups (the whole sample on its own), * significant at 5%.",
        "complaints_note_one": "Complaint rate with its 95% Wilson interval; handling: mean on "
                               "its {scale} scale among complainers, 95% t interval; loyalty "
                               "difference: complainers minus the others, z test, * significant "
                               "at 5%.",
        "comp_rate": "{group}: {rate}% complained ({k} of {n}; 95% interval {lo}–{hi}%).",
        "comp_rate_weighted": "{group}: {rate}% complained (weighted; unweighted {k} of {n}; "
                              "95% interval {lo}–{hi}%).",
        "outcome_tag": " (outcome)", "colon": ": ",
        "comp_none": "{group}: no respondent complained ({n} answered), so there is no handling "
                     "or loyalty figure for complainers.",
        "comp_handling": "Complainers rated the handling {mean} on the {scale} scale (95% "
                         "interval {lo}–{hi}; n = {n}).",
        "comp_lower": "Complainers' {loyalty} index is {diff} points below the others' "
                      "(adjusted interval {lo} to {hi}).",
        "comp_higher": "Complainers' {loyalty} index is {diff} points above the others' "
                       "(adjusted interval {lo} to {hi}).",
        "comp_same": "Complainers' {loyalty} index cannot be told apart from the others' "
                     "(difference {diff}, adjusted interval {lo} to {hi}).",
        "comp_too_few": "One complainer is too few to compare loyalty or to give an interval "
                        "for the handling.",
        "csat_differences": "CSAT differences between groups",
        "pooled": "pooled over waves", "construct": "Construct", "measure": "Measure",
        # trends
        "wave": "Wave", "change": "Change", "p": "p", "changes_title": "Change since {prev}",
        "trend_note2": "Each panel is one construct; one line per group, the whole sample "
                       "dashed. Indices per wave; intervals are in the appendix.",
        "change_note": "A change is the current wave's figure minus the previous wave's, "
                       "with a bootstrap interval of the difference (NPS and CSAT: a normal "
                       "interval). The changes of one measure across the groups are adjusted "
                       "with Holm's method; each interval is at the level its step was "
                       "tested at, so * (significant at 5% after adjustment) appears exactly "
                       "when it excludes 0. † not warranted (see the glossary, MICOM).",
        "trend_note_one": "Each panel is one construct: the whole sample's index per wave.",
        "trend_table": "Indices by group and wave",
        "pairs_client": "Shown: the pairs with the client's group; all {m} pairs are in "
                        "tables.xlsx.",
        "micom_pairs_client": "Shown: the pairs with the client's group where MICOM did not "
                              "establish compositional invariance; all {m} pairs are in "
                              "tables.xlsx.",
        "paths_pairs_client": "Shown: the significant differences in the pairs with the "
                              "client's group; all {m} pairs are in tables.xlsx.",
        "pairs_significant": "Shown: the significant pairs; all {m} pairs are in "
                             "tables.xlsx.",
        "trend_client": "Shown: the whole sample and the client's group; every group's "
                        "changes are in tables.xlsx.",
        "client_vs": "Client minus",
        "micom_pairs_n": "{construct} ({k} of {m} pairs)",
        "paths_none_shown": "No path coefficient differs significantly in the pairs shown.",
        "micom_none_shown": "MICOM establishes compositional invariance in every pair shown.",
        "client_matrix_note": "Each cell: the client's index minus the competitor's, in "
                              "points; * significant at 5% after Bonferroni's correction "
                              "over all pairs; † not warranted (MICOM).",
        "change_note_one": "A change is the current wave's figure minus the previous wave's, "
                           "with a 95% bootstrap interval of the difference (NPS and CSAT: a "
                           "normal interval); * significant at 5%, which is exactly when the "
                           "interval excludes 0. † not warranted (see the glossary, MICOM).",
        # priorities
        "importance": "Importance", "performance": "Performance",
        "effect": "Total effect", "outcome": "outcome",
        "ipma_note": "Importance: total effect on {target} of a one-point rise in a driver's "
                     "index. Performance: the driver's index. Lines mark the drivers' "
                     "averages (the outcome not included).",
        "ipma_reading_act": "Act first on {names}: the lever that stands out, performing below "
                            "the average of the drivers.",
        "ipma_reading_keep": "Keep up {names}: the lever that stands out, already performing "
                             "above the average of the drivers.",
        "standout": "{construct} stands out as the strongest lever for {target}.",
        "ipma_reading_only": "{names} is the only driver of {target} that can be acted on "
                             "here; its effect is significant.",
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
        "item_ipma_note_noact": "Importance: effect on {target} of a one-point rise in the "
                                "question's score (0–100); the questions of a construct share "
                                "its importance by their weights. Performance: the question's "
                                "mean on 0–100.",
        "items_intro_groups": "Each question: the mean on its own scale and the top-2-box "
                              "share (the two highest answers), by group.",
        # question-level results
        "items_intro": "Each question of the current wave: the mean on its own scale and the "
                       "top-2-box share (the two highest answers), by group.",
        "items_intro_single": "Each question: the mean on its own scale and the top-2-box "
                              "share (the two highest answers), of all respondents.",
        "items_intro_single_wave": "Each question of the current wave: the mean on its own "
                                   "scale and the top-2-box share (the two highest answers), "
                                   "of all respondents.",
        "current_intro_noclient": "Each construct's index (0–100) and the Net Promoter Score "
                                  "in the current wave, by group.",
        "current_intro_one_noclient": "Each construct's index (0–100) and the Net Promoter "
                                      "Score, by group.",
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
        "cmp_reading_warranted": "{n} of {m} warranted index differences between pairs of "
                                 "groups are significant; {k} not warranted by MICOM (†) are "
                                 "not counted.",
        "paths_reading": "Path differences: {n} of {m} significant (appendix).",
        "micom_none": "MICOM did not establish compositional invariance, so comparisons are "
                      "not warranted, for: {names}.",
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
        "latent_means": "Implied latent means, {ref} = 0 (scalar model)",
        "latent_means_note": "Each construct's mean implied by the scalar model, (I − B)⁻¹α "
                             "(lavaan's mean.lv), on the scale of its first indicator: for a "
                             "construct explained by others it includes the effect of their "
                             "means, unlike the intercept of its own equation.",
        "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²", "decision": "Decision",
        "supported": "supported", "not supported": "not supported", "baseline": "baseline",
        # quality
        "quality_intro": "Reliability and convergent validity of each construct's questions; "
                         "discriminant validity between constructs below.",
        "thresholds_note": "Marked (✗) where a value misses the usual threshold: loadings ≥ "
                           "0.708; α, ρA and ρC ≥ 0.70; AVE ≥ 0.50 (Hair et al. 2017); HTMT "
                           "< 0.85 (Henseler et al. 2015). A construct measured by one "
                           "question (single item, or a binary yes/no item) has no "
                           "reliability coefficients.",
        "single_item": "single item", "binary_item": "binary (yes/no) item",
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
                         "sample mean; against the linear benchmark (LM), PLS is said to have "
                         "high, medium, low or no predictive power when its errors are smaller "
                         "on all, most, a minority or none of the questions. How much is "
                         "predicted is read from Q²predict itself (Hair et al. 2019: above 0, "
                         "0.25 and 0.5 small, medium and large relevance; the lowest question "
                         "counts).",
        "relevance": "Relevance (Q²predict)", "rel_none": "none", "rel_small": "small",
        "rel_medium": "medium", "rel_large": "large",
        "q2_range": "Q²predict (lowest – highest)", "below_lm": "Questions better than LM",
        "power": "Power against LM", "power_high": "high", "power_medium": "medium",
        "power_low": "low", "power_none": "none",
        "predict_items": "PLSpredict by question", "rmse": "RMSE", "mae": "MAE",
        "lm_rmse": "RMSE (LM)",
        "cvpat_title": "Predictive ability test (CVPAT)",
        "cvpat_intro": "Each respondent's loss is the mean squared error of predicting the "
                       "outcomes' questions while left out of the estimation (the folds of "
                       "PLSpredict; Liengaard et al. 2021). The difference is the "
                       "model's loss minus the benchmark's: below 0, the model predicts "
                       "better. IA predicts each question by its average, LM by a linear "
                       "regression on the questions of the antecedent constructs.",
        "cvpat_overall": "All outcomes", "cvpat_benchmark": "Benchmark",
        "cvpat_IA": "indicator average (IA)", "cvpat_LM": "linear model (LM)",
        "cvpat_loss_model": "Loss (model)", "cvpat_loss_benchmark": "Loss (benchmark)",
        "cvpat_diff": "Difference",
        "cvpat_better": "Over all outcomes the model predicts significantly better than the "
                        "{benchmark} ({p}).",
        "cvpat_worse": "Over all outcomes the model predicts significantly worse than the "
                       "{benchmark} ({p}).",
        "cvpat_same": "Over all outcomes the model's predictions are not significantly "
                      "better or worse than the {benchmark}'s ({p}).",
        "copula_title": "Endogeneity (Gaussian copula test)",
        "copula_intro": "Each structural equation is estimated again with a copula term for "
                        "each non-normal predictor (Park and Gupta 2012; Hult et al. 2018). "
                        "A significant term means that the predictor is correlated with the "
                        "equation's error (endogeneity), which biases its path. Intervals "
                        "come from the same bootstrap resamples as the paths'.",
        "copula_flagged": "The copula term is significant at 5% for {paths}: these paths may "
                          "be biased by endogeneity.",
        "copula_clear": "No copula term is significant at 5%: no sign of endogeneity in the "
                        "paths tested.",
        "copula_none": "No predictor's scores are clearly non-normal and continuous, so the "
                       "copula test applies to no path.",
        "copula_est": "Copula term", "copula_normality": "Normality p (Shapiro–Wilk)",
        "copula_tested": "tested", "copula_normal": "normal: not testable",
        "copula_discrete": "discrete: not testable",
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
        "group_sizes_wave": "Groups: respondents in the current wave ({wave}); the wave "
                            "item: respondents per wave.",
        "cb_agree": "PLS and CB-SEM agree on every path: the same sign, and significant at "
                    "5% in both or in neither.",
        "cb_disagree": "PLS and CB-SEM disagree on {path}: PLS {pls} ({pls_p}), CB-SEM "
                       "{cb} ({cb_p}) — {why}.",
        "why_sign": "opposite signs", "why_sig": "significant in one, not in the other",
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
        "pls_settings_one": "PLS path modelling ({scheme} weighting scheme) on standardised "
                            "answers; missing answers replaced by the question's mean; {boot} "
                            "bootstrap resamples (seed {seed}) give {level} percentile "
                            "intervals.",
        "pls_settings_noboot": "PLS path modelling ({scheme} weighting scheme) on "
                               "standardised answers; missing answers replaced by the "
                               "question's mean within each group; no bootstrap resamples, "
                               "so no intervals and no significance tests of the estimates.",
        "pls_settings_one_noboot": "PLS path modelling ({scheme} weighting scheme) on "
                                   "standardised answers; missing answers replaced by the "
                                   "question's mean; no bootstrap resamples, so no intervals "
                                   "and no significance tests of the estimates.",
        "pls_poisson_all": " Resamples are drawn by the Poisson bootstrap: each respondent "
                           "enters a resample an independent Poisson(1) number of times, so "
                           "resample sizes vary around the sample size.",
        "pls_poisson": " Large groups (100,000 respondents or more) are resampled by the "
                       "Poisson bootstrap: each respondent enters a resample an independent "
                       "Poisson(1) number of times, so resample sizes vary around the group's "
                       "size.",
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
        "weight_raked": "Estimates weighted with weights computed from population targets "
                        "(see the sample section).",
        # how standard errors were computed (results.uncertainty)
        "sentence_sep": " ",
        "design_both": "The sample was drawn in {clusters} clusters ({cluster}) within "
                       "{strata} strata ({strata_item}).",
        "design_clusters": "The sample was drawn in {clusters} clusters ({cluster}).",
        "design_strata": "The sample was drawn within {strata} strata ({strata_item}).",
        "scores_taylor": "Standard errors and intervals of the NPS, CSAT and question means "
                         "are design-based (Taylor linearisation), each group estimated as "
                         "part of the whole sample.",
        "scores_replicates": "Standard errors and intervals of the NPS, CSAT and question "
                             "means come from {replicates} resamples with the weighting "
                             "repeated in each.",
        "scores_kish": "Standard errors of the NPS and CSAT treat the respondents as a simple "
                       "random sample.",
        "scores_kish_weighted": "Standard errors of the NPS and CSAT treat the respondents as "
                                "a simple random sample, with Kish's effective sample size "
                                "for the weights.",
        "boot_cluster": "The bootstrap behind the index and path intervals resamples the "
                        "clusters within each stratum (Rao–Wu rescaling bootstrap), not "
                        "single respondents.",
        "boot_rerake_cluster": "The bootstrap behind the index and path intervals resamples "
                               "the clusters within each stratum and repeats the weighting "
                               "in every resample, so the intervals include the weighting's "
                               "own uncertainty.",
        "boot_rerake": "The bootstrap behind the index and path intervals repeats the "
                       "weighting in every resample, so the intervals include the "
                       "weighting's own uncertainty.",
        "design_lonely": "Strata with a single cluster ({strata}) add no variance, so the "
                         "standard errors may be somewhat too small.",
        "weighting_title": "Who the sample stands for",
        "weighting_done": "The respondents were weighted to the population's shares on "
                          "{variables} by {method}.",
        "wmethod_rake": "raking (iterative proportional fitting)",
        "wmethod_linear": "linear (GREG) calibration",
        "wmethod_poststratify": "post-stratification on their cells",
        "weighting_by": "Each group of “{by}” was weighted on its own.",
        "weighting_trim": "Weights were kept between {low} and {high} times the mean "
                          "weight and fitted again after trimming.",
        "weighting_converged": "The weights meet every target (largest difference "
                               "{error} percentage points after {iterations} iterations).",
        "weighting_converged_exact": "The weights meet every target (to within 0.01 "
                                     "percentage points, after {iterations} iterations).",
        "quoted": "“{text}”",
        "weighting_not_converged": "The weights do not meet every target: the largest "
                                   "difference is {error} percentage points (see the "
                                   "estimation notes).",
        "weighting_deff": "Weights range from {low} to {high} times the mean; Kish's design "
                          "effect is {deff} (efficiency {efficiency}), so the {n} "
                          "respondents carry the precision of about {n_eff}.",
        "w_variable": "Question", "w_category": "Answer", "w_sample": "Sample",
        "w_target": "Population", "w_weighted": "Weighted", "w_deff": "Design effect",
        "w_range": "Weight range",
        "multiplicity_text": "Pairwise comparisons between groups are adjusted with "
                             "Bonferroni's method over the pairs of one group item for one "
                             "measure. A difference is significant when its adjusted p-value is below "
                             "{alpha}, which is exactly when its adjusted interval excludes "
                             "zero. MICOM's tests are applied to each construct and pair at 5% "
                             "without adjustment: their null hypothesis is invariance, so an "
                             "adjustment would make invariance easier to claim.",
        "resamples_text": " Bootstrap intervals rest on at least {tail} draws beyond each "
                          "adjusted limit ({boot} resamples); a p-value from B resamples is "
                          "never reported below 1/B.",
        "multiplicity_waves": " Changes since the previous wave are adjusted with Holm's "
                              "step-down method over the groups of one group item for one "
                              "measure (the whole sample's change is a family of its own); "
                              "the ▲ ▼ marks and every count use the adjusted result.",
        "multiplicity_waves_one": " The study has no groups: the change of each measure "
                                  "since the previous wave is tested on its own at 5%.",
        "waves_text": "Headline figures describe the current wave ({wave}); every group is "
                      "also estimated per wave. Figures pooled over waves appear only when "
                      "the study asks for them and are labelled as pooled.",
        "waves_text_one": "Headline figures describe the current wave ({wave}); the whole "
                          "sample is also estimated per wave. Figures pooled over waves appear "
                          "only when the study asks for them and are labelled as pooled.",
        # glossary and limitations
        "term_index": "Index", "def_index": "A 0–100 score of a construct: its questions "
        "rescaled to 0–100 and averaged with weights from the PLS model (ACSI convention).",
        "term_nps": "NPS", "def_nps": "Net Promoter Score: % promoters (answers 9–10 to "
        "“would you recommend…”) minus % detractors (0–6), from −100 to 100.",
        "term_csat": "CSAT", "def_csat": "The share of customers whose answer to the "
        "satisfaction question is in the top box, or the top two boxes (as the table says); "
        "its interval is Wilson's score interval.",
        "term_interval": "Interval", "def_interval": "A 95% interval (unless another level is "
        "stated) comes from a procedure that covers the true value in 95% of samples; it is "
        "not a range that holds the true value with 95% probability. Index intervals come "
        "from bootstrap resampling of the respondents.",
        "term_significance": "Significant", "def_significance": "A difference unlikely to be "
        "due to sampling alone (p < .05); with several groups compared, after adjustment.",
        "def_significance_one": "A difference unlikely to be due to sampling alone "
                                "(p < .05).",
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
        "limit_cross_section_one": "The survey is a cross-section: the model shows "
                                   "associations consistent with the causal order assumed, "
                                   "not proof of cause.",
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
        "loader_notes": "Notes on reading the data files",
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
        "summary_note": "指数为0–100分。置信区间为{level}自助法置信区间（净推荐值为95%调整Wald"
                        "置信区间，顾客满意率为95% Wilson置信区间）。",
        "summary_note_noci": "指数为0–100分；本研究未做自助法重抽样，指数没有置信区间（净推荐值为"
                             "95%调整Wald置信区间，顾客满意率为95% Wilson置信区间）。",
        "summary_note_adjusted": "“校正”的置信区间和p值考虑了多组同时比较。",
        "headline_scope": "当前年度：{wave}年。以下数字仅针对该年度（全部受访者 {n} 人）；"
                          "往年结果见“历年趋势”。",
        "kpi_index": "{construct}指数 · {group}", "kpi_nps": "净推荐值 · {group}",
        "interval": "{level}置信区间", "n": "样本量",
        "current_intro": "当前年度各组的结构变量指数（0–100分）和净推荐值；委托方所在组以底色"
                         "标出。",
        "current_intro_one": "各组的结构变量指数（0–100分）和净推荐值；委托方所在组以底色标出。",
        "indices_one": "得分",
        "current_intro_single": "全部受访者的各结构变量指数（0–100分）和净推荐值。",
        "current_intro_single_wave": "当前年度全部受访者的各结构变量指数（0–100分）和净推荐值。",
        "arrows_note": "▲ ▼：较{prev}年显著上升或下降。",
        "index_definition": "结构变量的指数为其题目得分换算到0–100分后，按标准化前的PLS外部"
                            "权重（归一化）加权平均（ACSI惯例）。",
        "index_chart_note": "指数为0–100分，误差线为{level}自助法置信区间。",
        "index_chart_note_noci": "指数为0–100分（本研究未做自助法重抽样，无置信区间）。",
        "group": "组别", "all": "全部受访者", "nps": "净推荐值", "promoters": "推荐者",
        "passives": "中立者", "detractors": "贬损者", "ci": "置信区间", "pair": "比较组",
        "difference": "差值", "ci_adj": "校正置信区间", "p_adj": "校正p值",
        "sig_note2": "* 经Bonferroni多重比较校正后在5%水平上显著；所列区间为相应的校正置信区间，"
                     "区间不含0时才标注*。† 不宜比较：MICOM未能确认该结构变量在两组中的测量"
                     "一致。",
        "csat": "顾客满意率（最高档位占比）", "item": "题目", "index": "指数",
        "box_1": "最高档", "box_2": "最高两档", "box_n": "最高{k}档",
        "box_rule": "{item}（{box}：{span}）",
        "complaints_title": "顾客抱怨",
        "complaints_intro": "各组曾抱怨的受访者比例、抱怨者对抱怨处理的满意程度，以及抱怨者与"
                            "未抱怨者的{loyalty}指数（0–100分）对比。",
        "complaints_intro_nohandling": "各组曾抱怨的受访者比例，以及抱怨者与未抱怨者的{loyalty}"
                                       "指数（0–100分）对比。",
        "complaint_rate": "抱怨率", "handling": "抱怨处理", "complainers": "{loyalty}：抱怨者",
        "non_complainers": "{loyalty}：未抱怨者",
        "complaints_note": "抱怨率附95% Wilson置信区间；抱怨处理为抱怨者在{scale}分量表上的平均分，"
                           "附95% t置信区间；忠诚度差值为抱怨者减未抱怨者，z检验按Holm方法对各组"
                           "校正（全部受访者单独检验），* 在5%水平上显著。",
        "complaints_note_one": "抱怨率附95% Wilson置信区间；抱怨处理为抱怨者在{scale}分量表上的平均分，"
                               "附95% t置信区间；忠诚度差值为抱怨者减未抱怨者，z检验，* 在5%水平上显著。",
        "comp_rate": "{group}：{rate}%的受访者曾抱怨（{n}人中{k}人；95%置信区间{lo}%–{hi}%）。",
        "comp_rate_weighted": "{group}：加权后{rate}%的受访者曾抱怨（未加权为{n}人中{k}人；"
                              "95%置信区间{lo}%–{hi}%）。",
        "outcome_tag": "（结果变量）", "colon": "：",
        "comp_none": "{group}：没有受访者抱怨（{n}人作答），因此没有抱怨者的处理满意度和忠诚度数字。",
        "comp_handling": "抱怨者对抱怨处理的评分为{mean}分（{scale}分量表；95%置信区间{lo}–{hi}；"
                         "{n}人）。",
        "comp_lower": "抱怨者的{loyalty}指数比未抱怨者低{diff}分（校正置信区间{lo}至{hi}）。",
        "comp_higher": "抱怨者的{loyalty}指数比未抱怨者高{diff}分（校正置信区间{lo}至{hi}）。",
        "comp_same": "抱怨者与未抱怨者的{loyalty}指数没有显著差异（差值{diff}，校正置信区间{lo}"
                     "至{hi}）。",
        "comp_too_few": "只有一名抱怨者，无法比较忠诚度，也无法给出处理满意度的置信区间。",
        "csat_differences": "各组顾客满意率的差异",
        "pooled": "多年合并", "construct": "结构变量", "measure": "指标",
        "wave": "年度", "change": "变化", "p": "p值", "changes_title": "较{prev}年的变化",
        "trend_note2": "每个小图对应一个结构变量；每条线代表一个组别，虚线为全部受访者。"
                       "置信区间见附录。",
        "change_note": "变化为当前年度数值减去上一年度数值，附差值的自助法置信区间（净推荐值和"
                       "顾客满意率为正态置信区间）。同一指标各组的变化按Holm方法校正；每个区间"
                       "取其检验步骤对应的水平，因此校正后在5%水平上显著（*）恰好等价于区间"
                       "不含0。† 不宜比较（见术语表中的MICOM）。",
        "change_note_one": "变化为当前年度数值减去上一年度数值，附差值的95%自助法置信区间（净推荐值"
                           "和顾客满意率为正态区间）；*表示在5%水平上显著，恰好等价于置信区间"
                           "不含0。† 不宜比较（见术语表中的MICOM）。",
        "trend_note_one": "每个小图对应一个结构变量：全部受访者各年度的指数。",
        "trend_table": "各组历年指数",
        "pairs_client": "此处仅列出与委托方所在组相关的组对；全部{m}个组对见tables.xlsx。",
        "micom_pairs_client": "此处仅列出与委托方所在组相关、MICOM未能确认组成不变性的组对；全部"
                              "{m}个组对见tables.xlsx。",
        "paths_pairs_client": "此处仅列出与委托方所在组相关、差异显著的路径；全部{m}个组对见"
                              "tables.xlsx。",
        "pairs_significant": "此处仅列出差异显著的组对；全部{m}个组对见tables.xlsx。",
        "trend_client": "此处仅列出全部受访者和委托方所在组；各组的变化见tables.xlsx。",
        "client_vs": "委托方减去",
        "micom_pairs_n": "{construct}（{m}个组对中的{k}个）",
        "paths_none_shown": "所列组对的路径系数均无显著差异。",
        "micom_none_shown": "MICOM确认所列每个组对均满足组成不变性。",
        "client_matrix_note": "每格为委托方指数减去该竞争对手指数（分）；*表示经Bonferroni"
                              "校正（全部组对）后在5%水平上显著；† 不宜比较（MICOM）。",
        "importance": "重要性", "performance": "表现", "effect": "总效应", "outcome": "结果变量",
        "ipma_note": "重要性：驱动因素指数每提高1分对{target}的总效应；表现：驱动因素的指数。"
                     "虚线为各驱动因素的平均值（不含结果变量）。",
        "ipma_reading_act": "优先改进：{names}——最突出的杠杆，表现低于各驱动因素的平均水平。",
        "ipma_reading_keep": "继续保持：{names}——最突出的杠杆，表现已高于各驱动因素的平均水平。",
        "standout": "{construct}是影响{target}最突出的杠杆。",
        "no_standout": "没有单一突出的驱动因素：{names}均有显著影响，彼此差距在不确定性范围之内。",
        "ipma_reading_only": "{names}是此处可改进的唯一驱动因素，对{target}的影响显著。",
        "no_driver": "没有可改进的驱动因素对{target}有显著影响。",
        "drivers_by_group": "各组改进重点", "priorities_col": "显著驱动因素（由强到弱）",
        "standout_col": "突出因素", "none": "无", "item_ipma": "题目层面的重要性与表现",
        "question": "题目", "action": "建议", "act_now": "优先改进",
        "item_ipma_note": "重要性：该题得分（0–100）每提高1分对{target}的效应；同一结构变量的各题"
                          "按权重分担其重要性。表现：该题的平均得分（0–100）。“优先改进”：表现"
                          "低于其他驱动因素的结构变量中、得分低于各题平均水平的题目。",
        "items_intro": "当前年度每道题在各组的平均分（按该题量表）及最高两档选项的占比。",
        "items_intro_groups": "每道题在各组的平均分（按该题量表）及最高两档选项的占比。",
        "item_ipma_note_noact": "重要性：该题得分（0–100）每提高1分对{target}的效应；同一结构"
                                "变量的各题按权重分担其重要性。表现：该题的平均得分（0–100）。",
        "items_intro_single": "每道题在全部受访者中的平均分（按该题量表）及最高两档选项的占比。",
        "items_intro_single_wave": "当前年度每道题在全部受访者中的平均分（按该题量表）及最高两档"
                                   "选项的占比。",
        "current_intro_noclient": "当前年度各组的结构变量指数（0–100分）和净推荐值。",
        "current_intro_one_noclient": "各组的结构变量指数（0–100分）和净推荐值。",
        "mean": "均值", "top2": "前两档占比",
        "model_intro": "基于{group}的样本，用偏最小二乘路径模型估计的满意度模型。",
        "path_diagram_note": "标准化路径系数。带*的深色实线在5%水平上显著（自助法置信区间不含0），"
                             "灰色虚线不显著；结构变量下方为R²。",
        "path": "路径", "coefficient": "系数", "r2": "R²", "r2_adj": "调整后R²",
        "index_differences": "指数差异（{group}）",
        "cmp_reading": "各组两两比较的{m}项指数差异中，有{n}项显著。",
        "cmp_reading_warranted": "各组两两比较中可比较的{m}项指数差异里，有{n}项显著；另有{k}项"
                                 "经MICOM检验不宜比较（†），未计入。",
        "paths_reading": "路径系数差异：{m}项中{n}项显著（见附录）。",
        "micom_none": "MICOM未能确认组成不变性、因而不宜比较的有：{names}。",
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
        "latent_means": "模型隐含的潜变量均值（{ref}为0，标量等值模型）",
        "latent_means_note": "标量等值模型隐含的各结构变量均值(I − B)⁻¹α（与lavaan的计算相同），"
                             "以其第一个指标的量纲表示；对于受其他结构变量影响的结构变量，它包含"
                             "了这些变量均值的影响，与其方程的截距不同。",
        "delta_cfi": "ΔCFI", "delta_chisq": "Δχ²", "decision": "结论",
        "supported": "成立", "not supported": "不成立", "baseline": "基准",
        "quality_intro": "各结构变量题目的信度与收敛效度；下表为结构变量之间的区分效度。",
        "thresholds_note": "未达到常用标准的数值以✗标出：载荷≥0.708；α、ρA、ρC≥0.70；AVE≥0.50"
                           "（Hair等，2017）；HTMT<0.85（Henseler等，2015）。只用一道题测量的"
                           "结构变量（单题，或是/否二分题）没有信度系数。",
        "single_item": "单题测量", "binary_item": "是/否二分题",
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
                         "基准模型（LM）表示预测能力高，多数题目较小为中，少数为低，没有为无。预测的程度另看"
                         "Q²predict本身（Hair等，2019：大于0、0.25、0.5分别为小、中、大；以最低"
                         "的题目为准）。",
        "relevance": "预测相关性（Q²predict）", "rel_none": "无", "rel_small": "小",
        "rel_medium": "中", "rel_large": "大",
        "q2_range": "Q²predict（最低–最高）", "below_lm": "优于LM的题目",
        "power": "相对LM的预测能力", "power_high": "高", "power_medium": "中", "power_low": "低",
        "power_none": "无",
        "predict_items": "各题目的PLSpredict结果", "rmse": "RMSE", "mae": "MAE",
        "lm_rmse": "RMSE（LM）",
        "cvpat_title": "预测能力检验（CVPAT）",
        "cvpat_intro": "每位受访者的损失是其不参与估计时各结果变量题目预测误差平方的平均值"
                       "（与PLSpredict使用相同的交叉验证分组；Liengaard等 2021）。差值为模型的"
                       "损失减去基准的损失：小于0表示模型预测更好。IA以各题目的平均值预测，LM以"
                       "前因结构变量题目的线性回归预测。",
        "cvpat_overall": "全部结果变量", "cvpat_benchmark": "基准",
        "cvpat_IA": "题目平均值（IA）", "cvpat_LM": "线性模型（LM）",
        "cvpat_loss_model": "损失（模型）", "cvpat_loss_benchmark": "损失（基准）",
        "cvpat_diff": "差值",
        "cvpat_better": "就全部结果变量而言，模型的预测显著优于{benchmark}（{p}）。",
        "cvpat_worse": "就全部结果变量而言，模型的预测显著差于{benchmark}（{p}）。",
        "cvpat_same": "就全部结果变量而言，模型与{benchmark}的预测没有显著差异（{p}）。",
        "copula_title": "内生性检验（高斯Copula）",
        "copula_intro": "为每个结构方程中每个非正态分布的预测变量加入Copula项后重新估计"
                        "（Park和Gupta 2012；Hult等 2018）。Copula项显著表示该预测变量与方程"
                        "误差相关（内生性），其路径系数有偏。置信区间来自与路径系数相同的自助法"
                        "重抽样。",
        "copula_flagged": "以下路径的Copula项在5%水平上显著：{paths}；这些路径可能因内生性而"
                          "有偏。",
        "copula_clear": "在5%水平上没有显著的Copula项：所检验的路径没有内生性迹象。",
        "copula_none": "没有预测变量的得分明显偏离正态分布且为连续变量，因此高斯Copula检验"
                       "不适用于任何路径。",
        "copula_est": "Copula项", "copula_normality": "正态性检验p值（Shapiro–Wilk）",
        "copula_tested": "已检验", "copula_normal": "近似正态：无法检验",
        "copula_discrete": "离散：无法检验",
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
        "group_sizes_wave": "各组：当前年度（{wave}年）的受访者人数；年度：各年度的受访者人数。",
        "cb_agree": "PLS与协方差结构模型在每条路径上结论一致：符号相同，且同为显著或同为不显著"
                    "（5%水平）。",
        "cb_disagree": "PLS与协方差结构模型在{path}上结论不一致：PLS为{pls}（{pls_p}），"
                       "协方差结构模型为{cb}（{cb_p}）——{why}。",
        "why_sign": "符号相反", "why_sig": "一个显著、另一个不显著",
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
        "pls_settings_one": "偏最小二乘路径模型（{scheme}加权方案），回答经标准化；缺失回答以该题的"
                            "均值替代；自助法重抽样{boot}次（种子{seed}），给出{level}百分位置信"
                            "区间。",
        "pls_settings_noboot": "偏最小二乘路径模型（{scheme}加权方案），回答经标准化；缺失回答以"
                               "该题在组内的均值替代；未做自助法重抽样，因此估计值没有置信区间，"
                               "也没有显著性检验。",
        "pls_settings_one_noboot": "偏最小二乘路径模型（{scheme}加权方案），回答经标准化；缺失"
                                   "回答以该题的均值替代；未做自助法重抽样，因此估计值没有置信"
                                   "区间，也没有显著性检验。",
        "pls_poisson_all": "重抽样采用泊松自助法：每位受访者进入一次重抽样的次数是独立的泊松(1)"
                           "随机数，因此各次重抽样的样本量围绕样本量上下波动。",
        "pls_poisson": "十万名及以上受访者的组采用泊松自助法：每位受访者进入一次重抽样的次数是"
                       "独立的泊松(1)随机数，因此各次重抽样的样本量围绕该组样本量上下波动。",
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
        "weight_raked": "估计值采用按总体目标计算的权重（见样本部分）。",
        "sentence_sep": "",
        "design_both": "样本按{strata_item}分为{strata}层，在层内抽取{clusters}个群（{cluster}）。",
        "design_clusters": "样本由{clusters}个群（{cluster}）组成。",
        "design_strata": "样本按{strata_item}分为{strata}层抽取。",
        "scores_taylor": "NPS、CSAT和各题均值的标准误与置信区间按抽样设计计算（泰勒线性化），"
                         "各组作为全样本的子域估计。",
        "scores_replicates": "NPS、CSAT和各题均值的标准误与置信区间来自{replicates}次重抽样，"
                             "每次重抽样均重新加权。",
        "scores_kish": "NPS和CSAT的标准误按简单随机样本计算。",
        "scores_kish_weighted": "NPS和CSAT的标准误按简单随机样本计算，并以Kish有效样本量反映"
                                "加权的影响。",
        "boot_cluster": "指数和路径的自助法区间在各层内对群而非单个受访者重抽样"
                        "（Rao–Wu重标度自助法）。",
        "boot_rerake_cluster": "指数和路径的自助法区间在各层内对群重抽样，并在每次重抽样中"
                               "重新加权，因此区间包含了加权本身的不确定性。",
        "boot_rerake": "指数和路径的自助法区间在每次重抽样中重新加权，因此区间包含了加权"
                       "本身的不确定性。",
        "design_lonely": "只有一个群的层（{strata}）不贡献方差，标准误可能略微偏小。",
        "weighting_title": "样本的代表性",
        "weighting_done": "按总体在{variables}上的构成，用{method}对受访者加权。",
        "wmethod_rake": "迭代比例拟合法",
        "wmethod_linear": "线性校准（广义回归估计）",
        "wmethod_poststratify": "按交叉单元事后分层",
        "weighting_by": "按“{by}”分组，各组分别加权。",
        "weighting_trim": "权重限制在平均权重的{low}至{high}倍之间，截尾后重新调整。",
        "weighting_converged": "加权后各项构成均达到总体目标（{iterations}次迭代后最大偏差"
                               "{error}个百分点）。",
        "weighting_converged_exact": "加权后各项构成均达到总体目标（{iterations}次迭代后偏差"
                                     "小于0.01个百分点）。",
        "quoted": "“{text}”",
        "weighting_not_converged": "加权后未能达到全部总体目标：最大偏差为{error}个百分点"
                                   "（见估计说明）。",
        "weighting_deff": "权重范围为平均权重的{low}至{high}倍；Kish设计效应为{deff}"
                          "（效率{efficiency}），{n}名受访者约相当于{n_eff}名受访者的精度。",
        "w_variable": "题目", "w_category": "选项", "w_sample": "样本",
        "w_target": "总体", "w_weighted": "加权后", "w_deff": "设计效应",
        "w_range": "权重范围",
        "multiplicity_text": "组间两两比较按Bonferroni方法校正（同一分组变量、同一指标的各组对为"
                             "一族）。校正p值低于{alpha}即为显著，"
                             "这恰好等价于校正置信区间不含0。MICOM的检验对每个结构变量和每对组别在5%水平上进行，"
                             "不作校正：其原假设是测量不变，校正反而更容易得出不变的结论。",
        "resamples_text": "自助法置信区间在每个校正后的区间端点之外至少有{tail}个抽样值（共{boot}"
                          "次重抽样）；由B次重抽样得到的p值不会报告为小于1/B。",
        "multiplicity_waves": "与上一年度的变化按Holm逐步校正（同一分组变量、同一指标的各组为"
                              "一族，全部受访者的变化单独为一族）；▲▼标记和各项计数均依据校正后"
                              "的结果。",
        "multiplicity_waves_one": "本研究不分组：各指标与上一年度相比的变化分别在5%水平上单独"
                                  "检验。",
        "waves_text": "核心数字描述当前年度（{wave}年）；各组也按年度分别估计。多年合并的数字"
                      "仅在研究设定要求时给出，并标注为多年合并。",
        "waves_text_one": "核心数字描述当前年度（{wave}年）；全部受访者也按年度分别估计。多年合并的"
                          "数字仅在研究设定要求时给出，并标注为多年合并。",
        "term_index": "指数", "def_index": "结构变量的0–100分得分：其题目得分换算到0–100分后，按"
        "PLS模型的权重加权平均（ACSI惯例）。",
        "term_nps": "净推荐值（NPS）", "def_nps": "推荐者（“是否愿意推荐”回答9–10分）占比减去"
        "贬损者（0–6分）占比，取值−100至100。",
        "term_csat": "顾客满意率（CSAT）", "def_csat": "对满意度题目给出最高档（或表中所注的最高"
        "两档）回答的顾客占比；其置信区间为Wilson得分区间。",
        "term_interval": "置信区间", "def_interval": "95%置信区间（未另行说明时）由这样一种方法"
        "得到：在重复抽样中，它有95%的样本覆盖真值；它并不表示真值以95%的概率落在该区间内。"
        "指数的置信区间由对受访者的自助法重抽样得到。",
        "term_significance": "显著", "def_significance": "差异不太可能仅由抽样造成（p < .05）；"
        "多组同时比较时为校正后的结果。",
        "def_significance_one": "差异不太可能仅由抽样造成（p < .05）。",
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
        "limit_cross_section_one": "本调查为横截面数据：模型显示的是与假定因果顺序一致的关联，"
                                   "而非因果证明。",
        "limit_small_groups": "样本量低于下限的组别不单独分析；小组别的置信区间较宽。",
        "questionnaire_text": "调查题目", "scale": "量表", "syntax": "模型语法（lavaan）",
        "software": "软件", "page": "页", "loader_notes": "数据文件读取说明",
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
        "path_beyond_one": "标准化路径系数超出±1，预测变量高度共线，其效应无法区分"
                           "（预测变量、结果变量）：{concerns}。",
        "construct_corr_high": "结构变量之间相关高于0.95，几乎无法区分：{concerns}。",
        "inner_vif_high": "结构模型中预测变量的VIF高于5，其效应无法与同一结果变量的其他预测变量"
                          "区分（预测变量、结果变量）：{concerns}。",
        "small_sample": "样本量过小（{concerns}），估计值和置信区间不稳定。",
        "collinearity": "观测变量完全共线（VIF无穷大）：{concerns}；请删除重复的题目。",
        "bootstrap_failures": "部分自助法重抽样未得到估计值，区间基于其余样本{concerns}。",
        "fit_test_failures": "部分精确拟合检验的重抽样未得到估计值，分位数基于其余样本。",
        "predict_skipped": "未进行PLSpredict：高阶结构变量没有公认的PLSpredict方法。",
        "cvpat_skipped": "未进行CVPAT：高阶结构变量没有公认的PLSpredict方法，CVPAT以其为基础。",
        "cvpat_failed": "CVPAT计算失败，未报告其结果。",
        "copula_skipped": "未进行高斯Copula内生性检验：该检验需要自助法重抽样（bootstrap大于0）。",
        "copula_failed": "高斯Copula内生性检验计算失败，未报告其结果。",
        "copula_failures": "高斯Copula检验的部分自助法重抽样未得到估计值，区间基于其余样本。",
        "copula_not_identified": "该路径的自变量得分近似正态或取值过少，Copula项无法识别，"
                                 "未检验其内生性{concerns}。",
        "predict_failed": "PLSpredict计算失败，未报告预测能力。",
        "set_missing": "超出量表范围或无法识别的回答已按缺失处理（题目）：{concerns}。",
        "far_values": "题目中有远离大多数回答的取值（可能是“不知道”等特殊编码，如98），"
                      "请在问卷中将其设为缺失{concerns}。",
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
        "weight_not_converged": "加权未收敛，未能达到全部总体目标（组别与最大偏差）：{concerns}。",
        "weight_target_empty": "总体目标中的类别没有受访者，同一变量的其他类别按比例调整："
                               "{concerns}。",
        "weight_deff_high": "权重的设计效应超过2，有效样本量减少一半以上：{concerns}；"
                            "可设定截尾界限或合并目标类别。",
        "weight_negative": "线性校准产生负权重：{concerns}；请设定截尾界限，或改用迭代比例拟合。",
        "weight_uncovered": "部分受访者的编码没有总体目标，按缺失处理：{concerns}。",
        "weight_missing": "部分受访者缺少加权变量的值，不参与该变量的调整：{concerns}。",
        "lonely_psu": "部分层只有一个群，其方差无法估计而未计入，按设计计算的标准误可能偏小："
                      "{concerns}；可将其与相近的层合并。",
        "rerake_not_converged": "部分重抽样中加权未收敛，其权重未完全达到总体目标（组别与"
                                "次数）：{concerns}。",
        "poisson_small_n": "样本少于100行时，泊松自助法各次重抽样的样本量波动较大（行数）：{concerns}；"
                           "请改用多项式重抽样（resampling: multinomial 或 auto）。",
        "resamples_raised": "自助法重抽样次数由默认值提高，使校正后的置信区间端点之外各有至少20个"
                            "抽样值{concerns}。",
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
