"""scheduler: turns agreements into delivery plans and proves the work was delivered."""
