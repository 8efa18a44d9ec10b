"""Ways to earn beyond orders: referrals, reviews, birthdays, custom activities, activation codes,
and games (badges, challenges, quests).

It imports core/, program/, ledger/ and customers/; it reacts to orders by subscribing to facts."""
