"""Filing records about a person (报到, visits, group sessions, colour proposals), checked and audited."""
