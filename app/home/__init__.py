"""Each person's home ("Mon espace"), where logging in lands."""
