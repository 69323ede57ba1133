# The two-host scene (scripts/scene.sh): bring it up by hand, and run its test suites.
.PHONY: scene-up scene-down scene-status test-scene

scene-up:
	./scripts/scene.sh up

scene-down:
	./scripts/scene.sh down

scene-status:
	./scripts/scene.sh status

# The test support and the scene: private plutos, stand-in socket, PSK/RSA/X.509 conns.
test-scene:
	$(CARGO) test --release --test scene_pluto --test scene_hosts -- --test-threads=2
