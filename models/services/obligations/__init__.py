"""What each person owes (应做、已做、逾期): the rules applied to everyone in scope."""
