"""Program economics: what a draft program would have cost over past orders (the simulator), and
what the points on the books are worth now (liability and IFRS 15 deferred revenue)."""
