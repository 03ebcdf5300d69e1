"""What a request asks for and how it is answered: spec validation, rules, the model library, the generator. No HTTP."""
