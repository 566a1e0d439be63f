"""The optional camera: is a visitor in front of the kiosk, and where? (No image is ever stored.)"""
