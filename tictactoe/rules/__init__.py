"""Pure rules: the board, Elo, names and passwords, what a picture costs to decode. No I/O."""
