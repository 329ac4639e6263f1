"""What clinicians did with the cards (CDS Hooks feedback), kept in a SQL database."""
