"""The report's context, one module per section of the report: each builds the part of
the template's context its section shows, from the typed study results
(:func:`crmsurvey.report.context.build_context` puts them together in display order)."""
