"""What a child process gets: its environment, the role behind it, the credential server, the shell and its prompt."""
