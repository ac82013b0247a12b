"""What a run writes: the annotated copy, the discrepancy workbook, report.html, results.json."""
