"""Reading: any workbook or export to grids with Excel's row numbers, the header and print furniture found, 1C captions carried, values parsed as accountants write them, BookRows out."""
