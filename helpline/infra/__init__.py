"""Outside systems: RQ queues, the one sender and Twilio client, the FindTreatment locator."""
