"""每日汇总: a supervisor's jurisdiction, its counts and rows, and its workbook."""
