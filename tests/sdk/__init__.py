"""Tests of the SDK (`NomadClient`, `AsyncNomadClient`) against the stand-in over real HTTP."""
