// noisyoptim-demo: trains on the bundled data (being built; see the issues).
print("noisyoptim-demo")
