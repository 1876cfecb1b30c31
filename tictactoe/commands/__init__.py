"""What `python -m tictactoe` runs."""
