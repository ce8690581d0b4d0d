print("sprx")
