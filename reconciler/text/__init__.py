"""Every word a person reads, in ru and en: labels, the error catalogue, mail, report and audit texts."""
