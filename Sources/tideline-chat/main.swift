print("tideline-chat: not yet")
