"""The visitor's mood, turn by turn (affective computing): from the words and the voice; how the avatar answers it."""
