"""What the staff screens write that is the screens' own (the sales a till sends, the till's
count at the end of the day), by topic in this package. Every rule of a sale, a payment, a
pickup, a return or a transfer is the domain apps' own service, called as the API calls it."""
