"""The LLM lane: questions the fast lane cannot answer ("Does a filling hurt?").

- adapters: the LLMAdapter interface and the OpenAI adapter (deadline, bounded retries);
- capabilities: the LLMModel rows, the model factory, warm_llm();
- context: the prompt, the conversation's recent messages, without the patient's phone or name;
- tools: lookup_price, clinic_info, hand_to_staff;
- answer: llm_reply(key, journal=...), one answer within settings.LLM_DEADLINE_S;
The answer is written once, as a transition from pending (conversations.journal), and sent through
the ordered outbox by conversations.tasks.llm_answer.
"""
